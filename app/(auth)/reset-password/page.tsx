import type { Metadata } from "next";
import { NewPasswordForm } from "@/components/auth/new-password-form";
import { Brand } from "@/components/brand";
import { AppLink } from "@/components/ui/app-link";
import { getServerEnv } from "@/lib/env";
import { getCurrentUser } from "@/lib/server-context";
import { resetPassword } from "../actions";

export const metadata: Metadata = { title: "Set a new password" };

/**
 * Where reset links land. Local mode's link carries a one-time `token`;
 * Supabase's link has already signed the person in (a recovery session) on its
 * way here through /auth/callback or /auth/confirm.
 */
export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  const local = getServerEnv().backend.kind === "local";
  const usable = local ? typeof token === "string" && token.length > 0 : (await getCurrentUser()) !== null;
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 px-6 py-16">
      <Brand />
      <h1 className="text-2xl font-semibold tracking-tight">Set a new password</h1>
      {usable ? (
        <NewPasswordForm action={resetPassword} token={local ? (token as string) : undefined} />
      ) : (
        <p className="text-sm">
          This link has expired or was already used.{" "}
          <AppLink href="/forgot-password" className="font-medium underline underline-offset-4 hover:text-accent">
            Ask for a new one
          </AppLink>
          .
        </p>
      )}
    </main>
  );
}
