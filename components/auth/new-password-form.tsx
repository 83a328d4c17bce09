"use client";

import { useActionState, useId } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import type { AuthFormState } from "@/lib/auth/form-state";
import { PASSWORD_HINT } from "@/lib/auth/password-rules";

export type NewPasswordFormProps = {
  action: (previous: AuthFormState, formData: FormData) => Promise<AuthFormState>;
  /** Local mode's one-time token from the link; Supabase's link signs the person in instead. */
  token?: string;
};

/** The last step of "Forgot password?": choose a new one. */
export function NewPasswordForm({ action, token }: NewPasswordFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  return (
    <form action={formAction} noValidate className="space-y-4">
      {state.error ? <Notice tone="error" role="alert" title={state.error} /> : null}
      {token ? <input type="hidden" name="token" value={token} /> : null}
      <Field id={`${id}-password`} label="New password" error={state.fields?.password} hint={state.fields?.password ? undefined : PASSWORD_HINT}>
        {(control) => <input {...control} name="password" type="password" autoComplete="new-password" required />}
      </Field>
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Saving…" : "Set new password"}
      </Button>
    </form>
  );
}
