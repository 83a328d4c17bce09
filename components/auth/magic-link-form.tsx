"use client";

import { useActionState, useId } from "react";
import { sendMagicLink, type MagicLinkState } from "@/app/(auth)/magic-link-actions";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";

export type MagicLinkFormProps = {
  /** Where to go after the link is opened; the server checks it again. */
  next?: string;
  /** The `error` code /auth/callback or /auth/confirm put on /login, if any. */
  linkError?: string;
};

// Only these codes are shown; anything else in the URL reads as the generic one.
const LINK_ERRORS: Record<string, string> = {
  "link-expired": "That sign-in link has expired. Ask for a new one below.",
  "link-invalid": "That sign-in link did not work. Each link works once, in the browser you asked for it from. Ask for a new one below.",
  unavailable: "Sign-in is not reachable right now. Please try again in a moment.",
};

/**
 * "Email me a sign-in link": the password-free way in, shown only with the
 * Supabase backend. Posted to a server action through useActionState, so it
 * works before JavaScript loads.
 */
export function MagicLinkForm({ next, linkError }: MagicLinkFormProps) {
  const [state, formAction, pending] = useActionState<MagicLinkState, FormData>(sendMagicLink, {});
  const id = useId();
  const problem = state.error ?? (linkError && !state.sent ? (LINK_ERRORS[linkError] ?? LINK_ERRORS["link-invalid"]) : undefined);

  return (
    <form action={formAction} noValidate className="space-y-4">
      {state.sent ? (
        <Notice role="status" title="Check your email">
          We sent a sign-in link to {state.email}. Open it in this browser to continue.
        </Notice>
      ) : null}
      {problem ? <Notice tone="error" role="alert" title={problem} /> : null}
      {next ? <input type="hidden" name="next" value={next} /> : null}

      <Field id={`${id}-email`} label="Email" error={state.fields?.email}>
        {(control) => (
          <input
            {...control}
            defaultValue={state.email ?? ""}
            name="email"
            type="email"
            autoComplete="email"
            autoCapitalize="none"
            spellCheck={false}
            inputMode="email"
            required
          />
        )}
      </Field>

      <Button type="submit" variant="secondary" disabled={pending} className="w-full">
        {pending ? "Sending link…" : state.sent ? "Send another link" : "Email me a sign-in link"}
      </Button>
    </form>
  );
}
