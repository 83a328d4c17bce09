"use server";

import { cookies, headers } from "next/headers";
import { clientAddressFrom } from "@/lib/auth/client-address";
import { signInSchema } from "@/lib/auth/credentials-schema";
import { requestOrigin } from "@/lib/auth/request-origin";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { getServerEnv } from "@/lib/env";
import { asAppError } from "@/lib/errors";
import { getAppContext } from "@/lib/server-context";

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

  const { auth } = await getAppContext();
  try {
    await auth.sendSignInLink?.({ email: parsed.data.email, redirectTo: callback.href }, await cookies(), {
      clientAddress: clientAddressFrom(await headers(), env.trustedProxies),
      origin,
    });
  } catch (error) {
    const appError = asAppError(error);
    return { email, error: appError.message, ...(appError.fields?.email ? { fields: { email: appError.fields.email } } : {}) };
  }
  return { email: parsed.data.email, sent: true };
}
