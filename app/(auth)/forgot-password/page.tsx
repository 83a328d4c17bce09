import type { Metadata } from "next";
import { connection } from "next/server";
import { ForgotPasswordForm } from "@/components/auth/forgot-password-form";
import { Brand } from "@/components/brand";
import { AppLink } from "@/components/ui/app-link";
import { getServerEnv } from "@/lib/env";
import { requestPasswordReset } from "../actions";

export const metadata: Metadata = { title: "Forgot password" };

export default async function ForgotPasswordPage() {
  // Rendered per request: what it says depends on the running server's backend, not the build's.
  await connection();
  const local = getServerEnv().backend.kind === "local";
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 px-6 py-16">
      <Brand />
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Forgot your password?</h1>
        <p className="text-sm text-muted">
          {local
            ? "This app runs in local mode and sends no email: the link to set a new password is written to the server's log."
            : "We'll email you a link to set a new one."}
        </p>
      </div>
      <ForgotPasswordForm action={requestPasswordReset} />
      <p className="text-center text-sm text-muted">
        <AppLink href="/login" className="font-medium text-foreground underline underline-offset-4 hover:text-accent">
          Back to sign in
        </AppLink>
      </p>
    </main>
  );
}
