"use client";

import { useActionState, useEffect, useId, useRef } from "react";
import { AppLink } from "@/components/ui/app-link";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Notice } from "@/components/ui/notice";
import { MIN_PASSWORD_LENGTH, PASSWORD_HINT } from "@/lib/auth/password-rules";
import type { AuthFormState } from "@/lib/auth/form-state";

export type AuthFormProps = {
  mode: "sign-in" | "sign-up";
  action: (previous: AuthFormState, formData: FormData) => Promise<AuthFormState>;
  /** Where to go after signing in; the server checks it again before redirecting. */
  next?: string;
};

const COPY = {
  "sign-in": {
    submit: "Sign in",
    pending: "Signing in…",
    switchPrompt: "New here?",
    switchLabel: "Create an account",
    switchPath: "/signup",
  },
  "sign-up": {
    submit: "Create account",
    pending: "Creating account…",
    switchPrompt: "Already have an account?",
    switchLabel: "Sign in",
    switchPath: "/login",
  },
} as const;

/**
 * Sign-in and sign-up share one form: email and password, posted to a server action
 * through useActionState, so it works before JavaScript loads and shows the action's
 * errors after. Validation is the server's; the browser's own is off so every message
 * looks and reads the same.
 */
export function AuthForm({ mode, action, next }: AuthFormProps) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  const copy = COPY[mode];
  const switchHref = next ? `${copy.switchPath}?next=${encodeURIComponent(next)}` : copy.switchPath;
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  // After a rejected attempt, put the cursor where the fix goes; its error is read out with it.
  useEffect(() => {
    if (state.fields?.email) emailRef.current?.focus();
    else if (state.fields?.password) passwordRef.current?.focus();
  }, [state]);

  return (
    <div className="space-y-6">
      <form action={formAction} noValidate className="space-y-4">
        {state.error ? <Notice tone="error" role="alert" title={state.error} /> : null}
        {state.notice ? <Notice tone="info" role="status" title={state.notice} /> : null}
        {next ? <input type="hidden" name="next" value={next} /> : null}

        <Field id={`${id}-email`} label="Email" error={state.fields?.email}>
          {(control) => (
            <input
              {...control}
              ref={emailRef}
              // Echoed back by the action, so a failed attempt keeps what was typed
              // (React resets uncontrolled fields to their defaults after a form action).
              defaultValue={state.email ?? ""}
              name="email"
              type="email"
              autoComplete={mode === "sign-up" ? "email" : "username"}
              autoCapitalize="none"
              spellCheck={false}
              inputMode="email"
              required
            />
          )}
        </Field>

        <Field
          id={`${id}-password`}
          label="Password"
          error={state.fields?.password}
          // The error already says it when the password is too short or too long.
          hint={mode === "sign-up" && !state.fields?.password ? PASSWORD_HINT : undefined}
        >
          {(control) => (
            <input
              {...control}
              ref={passwordRef}
              name="password"
              type="password"
              autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
              minLength={mode === "sign-up" ? MIN_PASSWORD_LENGTH : undefined}
              required
            />
          )}
        </Field>

        <Button type="submit" disabled={pending} className="w-full">
          {pending ? copy.pending : copy.submit}
        </Button>
      </form>

      {mode === "sign-in" ? (
        <p className="text-center text-sm">
          <AppLink href="/forgot-password" className="font-medium text-foreground underline underline-offset-4 hover:text-accent">
            Forgot password?
          </AppLink>
        </p>
      ) : null}
      <p className="text-center text-sm text-muted">
        {copy.switchPrompt}{" "}
        <AppLink href={switchHref} className="font-medium text-foreground underline underline-offset-4 hover:text-accent">
          {copy.switchLabel}
        </AppLink>
      </p>
    </div>
  );
}
