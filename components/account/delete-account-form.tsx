"use client";

import { useActionState, useId } from "react";
import type { AccountFormState } from "@/app/dashboard/account/actions";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";

export type DeleteAccountFormProps = {
  action: (previous: AccountFormState, formData: FormData) => Promise<AccountFormState>;
  email: string;
};

/** Deleting is for good, so it asks for the email typed out, not just a click. */
export function DeleteAccountForm({ action, email }: DeleteAccountFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  return (
    <form action={formAction} noValidate className="space-y-4">
      {state.error ? <Notice tone="error" role="alert" title={state.error} /> : null}
      <Field
        id={`${id}-confirm`}
        label={`Type ${email} to confirm`}
        error={state.fields?.confirmEmail}
        hint="Your account, every image, every input and every file goes, and cannot be brought back."
      >
        {(control) => (
          <input {...control} name="confirmEmail" type="email" autoComplete="off" autoCapitalize="none" spellCheck={false} required />
        )}
      </Field>
      <Button type="submit" variant="danger" disabled={pending}>
        {pending ? "Deleting…" : "Delete my account"}
      </Button>
    </form>
  );
}
