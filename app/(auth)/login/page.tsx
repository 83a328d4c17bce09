import type { Metadata } from "next";
import { AuthForm } from "@/components/auth/auth-form";
import { MagicLinkForm } from "@/components/auth/magic-link-form";
import { Brand } from "@/components/brand";
import { Notice } from "@/components/ui/notice";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { getServerEnv } from "@/lib/env";
import { signIn } from "../actions";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string; error?: string; notice?: string }> }) {
  const { next, error, notice } = await searchParams;
  // Magic links are Supabase Auth's; local mode has no email to send them with.
  const magicLinks = getServerEnv().backend.kind === "supabase";
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 px-6 py-16">
      <Brand />
      <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
      {notice === "account-deleted" ? (
        <Notice tone="info" role="status" title="Your account and everything in it have been deleted." />
      ) : null}
      <AuthForm mode="sign-in" action={signIn} next={safeNextPath(next)} />
      {magicLinks ? <MagicLinkForm next={safeNextPath(next)} linkError={error} /> : null}
    </main>
  );
}
