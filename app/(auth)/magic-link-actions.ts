"use server";

import { headers } from "next/headers";
import { signInSchema } from "@/lib/auth/credentials-schema";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { getServerEnv } from "@/lib/env";
import { asAppError } from "@/lib/errors";
import { authError } from "@/lib/supabase/auth-errors";
import { createSupabaseServerClient } from "@/lib/supabase/server";

/** What the magic-link form renders; returned by sendMagicLink. */
export type MagicLinkState = {
  email?: string;
  error?: string;
  fields?: { email?: string[] };
  /** The email went out: the form shows "check your inbox" instead of itself. */
  sent?: boolean;
};

const emailSchema = signInSchema.pick({ email: true });

/**
 * Emails a one-time sign-in link. The link comes back to /auth/callback, which
 * exchanges its code for a session in this same browser (the PKCE verifier
 * cookie written here) and then goes on to the checked `next` path.
 */
export async function sendMagicLink(_previous: MagicLinkState, formData: FormData): Promise<MagicLinkState> {
  const email = String(formData.get("email") ?? "");
  const env = getServerEnv();
  if (env.backend.kind !== "supabase") {
    return { email, error: "Magic links need the Supabase backend. Sign in with your email and password instead." };
  }
  const parsed = emailSchema.safeParse({ email });
  if (!parsed.success) return { email, fields: { email: parsed.error.issues.map((issue) => issue.message) } };

  const origin = env.appUrl ?? (await requestOrigin());
  const callback = new URL("/auth/callback", origin);
  callback.searchParams.set("next", safeNextPath(formData.get("next")));

  const client = await createSupabaseServerClient(env.backend, { secureCookies: origin.startsWith("https://"), appUrl: env.appUrl });
  const { error } = await client.auth.signInWithOtp({ email: parsed.data.email, options: { emailRedirectTo: callback.href } });
  if (error) return { email, error: asAppError(authError(error, "send magic link")).message };
  return { email: parsed.data.email, sent: true };
}

/**
 * This request's origin, for the link in the email when APP_URL is not set.
 * Next accepts a server action only when its Origin matches the host, and
 * Supabase sends links only to the project's allowed redirect URLs, so a forged
 * header cannot point the email elsewhere.
 */
async function requestOrigin(): Promise<string> {
  const incoming = await headers();
  const origin = incoming.get("origin");
  if (origin) return origin;
  const host = incoming.get("x-forwarded-host") ?? incoming.get("host") ?? "localhost:3000";
  const protocol = incoming.get("x-forwarded-proto") ?? (host.startsWith("localhost") ? "http" : "https");
  return `${protocol}://${host}`;
}
