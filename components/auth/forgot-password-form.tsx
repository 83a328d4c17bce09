"use client";

import { useActionState, useId } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import type { AuthFormState } from "@/lib/auth/form-state";

export type ForgotPasswordFormProps = {
  action: (previous: AuthFormState, formData: FormData) => Promise<AuthFormState>;
};

/** "Email me a link to set a new password"; works before JavaScript loads. */
export function ForgotPasswordForm({ action }: ForgotPasswordFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  return (
    <form action={formAction} noValidate className="space-y-4">
      {state.error ? <Notice tone="error" role="alert" title={state.error} /> : null}
      {state.notice ? <Notice tone="info" role="status" title={state.notice} /> : null}
      <Field id={`${id}-email`} label="Email" error={state.fields?.email}>
        {(control) => (
          <input
            {...control}
            defaultValue={state.email ?? ""}
            name="email"
            type="email"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            inputMode="email"
            required
          />
        )}
      </Field>
      <Button type="submit" disabled={pending} className="w-full">
        {pending ? "Sending…" : state.notice ? "Send another link" : "Send me a reset link"}
      </Button>
    </form>
  );
}
