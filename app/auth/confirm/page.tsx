import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { Brand } from "@/components/brand";
import { Button } from "@/components/ui/button";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { getServerEnv } from "@/lib/env";
import { confirmLink } from "./actions";

export const metadata: Metadata = { title: "Confirm" };

type ConfirmParams = { token_hash?: string; type?: string; next?: string };

/**
 * Where email templates that link `{{ .SiteURL }}/auth/confirm?token_hash={{ .TokenHash }}&type=...`
 * land. Opening the link spends nothing: mail scanners and link previews fetch
 * it too, and would use up the one-time token before the person clicks. The
 * button posts it (a server action), which signs the person in. It needs no
 * cookie from before, so it works on any device.
 */
export default async function ConfirmPage({ searchParams }: { searchParams: Promise<ConfirmParams> }) {
  // Rendered per request: the backend is the running server's, not the build's.
  await connection();
  if (getServerEnv().backend.kind !== "supabase") notFound();
  const { token_hash: tokenHash, type, next } = await searchParams;
  const recovery = type === "recovery";
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 px-6 py-16">
      <Brand />
      <h1 className="text-2xl font-semibold tracking-tight">{recovery ? "Reset your password" : "Finish signing in"}</h1>
      <form action={confirmLink} className="space-y-4">
        <input type="hidden" name="token_hash" value={tokenHash ?? ""} />
        <input type="hidden" name="type" value={type ?? ""} />
        <input type="hidden" name="next" value={recovery ? "/reset-password" : safeNextPath(next)} />
        <Button type="submit" className="w-full">
          {recovery ? "Continue to set a new password" : "Continue"}
        </Button>
      </form>
    </main>
  );
}
