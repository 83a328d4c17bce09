"use client";

import { useActionState, useId } from "react";
import type { AccountFormState } from "@/app/dashboard/account/actions";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import { PASSWORD_HINT } from "@/lib/auth/password-rules";

export type ChangePasswordFormProps = {
  action: (previous: AccountFormState, formData: FormData) => Promise<AccountFormState>;
  email: string;
};

export function ChangePasswordForm({ action, email }: ChangePasswordFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  return (
    // A new state (a notice) remounts nothing, but the key clears the fields after a change.
    <form key={state.notice ?? "form"} action={formAction} noValidate className="space-y-4">
      {state.error ? <Notice tone="error" role="alert" title={state.error} /> : null}
      {state.notice ? <Notice tone="info" role="status" title={state.notice} /> : null}
      {/* For password managers: which account this password belongs to. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field id={`${id}-current`} label="Current password" error={state.fields?.currentPassword}>
        {(control) => <input {...control} name="currentPassword" type="password" autoComplete="current-password" required />}
      </Field>
      <Field id={`${id}-new`} label="New password" error={state.fields?.password} hint={state.fields?.password ? undefined : PASSWORD_HINT}>
        {(control) => <input {...control} name="password" type="password" autoComplete="new-password" required />}
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
