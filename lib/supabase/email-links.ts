import "server-only";
import type { AuthError, EmailOtpType } from "@supabase/supabase-js";
import { redirect } from "next/navigation";
import { NextResponse } from "next/server";
import { requestOrigin } from "@/lib/auth/request-origin";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { getServerEnv } from "@/lib/env";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { isAuthUnavailable } from "@/lib/supabase/auth-errors";
import { createSupabaseServerClient } from "@/lib/supabase/server";

const EMAIL_OTP_TYPES: readonly EmailOtpType[] = ["signup", "invite", "magiclink", "recovery", "email_change", "email"];

/**
 * The /auth/confirm button (a server action): verifies the link's one-time
 * token_hash, which signs the person in, then redirects on to the checked
 * `next`, or to /login with a short error code.
 */
export async function confirmEmailLink({ tokenHash, type, next: requested }: { tokenHash: string; type: EmailOtpType; next: unknown }): Promise<never> {
  const env = getServerEnv();
  if (env.backend.kind !== "supabase") redirect("/login");
  const next = safeNextPath(requested);
  const fail = (code: LinkErrorCode): never => redirect(`/login?${new URLSearchParams({ error: code, next })}`);
  if (!tokenHash || !EMAIL_OTP_TYPES.includes(type)) fail("link-invalid");
  const origin = env.appUrl ?? (await requestOrigin());
  const client = await createSupabaseServerClient(env.backend, { secureCookies: origin.startsWith("https://"), appUrl: env.appUrl });
  const { error } = await client.auth.verifyOtp({ type, token_hash: tokenHash });
  if (error) {
    if (isAuthUnavailable(error)) fail("unavailable");
    fail(error.code === "otp_expired" ? "link-expired" : "link-invalid");
  }
  redirect(next);
}

/** Why an email link did not sign anyone in; the login page turns these codes into words. */
export type LinkErrorCode = "link-expired" | "link-invalid" | "unavailable";

/**
 * The end of the /auth/callback route:
 * run the exchange with a client that writes the session cookies, then send the
 * person on to a checked `next`, or back to /login with a short error code.
 * Only known codes travel in the URL, never Supabase's own text, so a crafted
 * link cannot make the login page say anything.
 */
export async function completeEmailLink(
  request: Request,
  exchange: (client: TypedSupabaseClient, params: URLSearchParams) => Promise<{ error: AuthError | null }> | null,
): Promise<Response> {
  const env = getServerEnv();
  if (env.backend.kind !== "supabase") return new Response("Not found", { status: 404 });

  const url = new URL(request.url);
  const next = safeNextPath(url.searchParams.get("next"));
  const origin = env.appUrl ?? url.origin;
  const fail = (code: LinkErrorCode) => {
    const login = new URL("/login", origin);
    login.searchParams.set("error", code);
    login.searchParams.set("next", next);
    return NextResponse.redirect(login);
  };

  // Supabase itself redirects here with an error when a link is stale or reused.
  const reported = url.searchParams.get("error_code") ?? url.searchParams.get("error");
  if (reported) return fail(reported === "otp_expired" ? "link-expired" : "link-invalid");

  const client = await createSupabaseServerClient(env.backend, { secureCookies: origin.startsWith("https://"), appUrl: env.appUrl });
  const pending = exchange(client, url.searchParams);
  if (!pending) return fail("link-invalid");
  const { error } = await pending;
  if (error) {
    if (isAuthUnavailable(error)) return fail("unavailable");
    const expired = error.code === "otp_expired" || error.code === "flow_state_expired";
    return fail(expired ? "link-expired" : "link-invalid");
  }
  return NextResponse.redirect(new URL(next, origin));
}
