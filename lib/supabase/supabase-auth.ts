import "server-only";
import type { User } from "@supabase/supabase-js";
import { EmailConfirmationRequired, type AuthService, type CookieJar } from "@/lib/auth/auth-service";
import type { SessionUser } from "@/lib/predictions/ports";
import type { SupabaseConfig, SupabaseRuntimeOptions } from "@/lib/supabase/client-options";
import { authError, isAuthUnavailable } from "@/lib/supabase/auth-errors";
import { createSupabaseClientForCookies } from "@/lib/supabase/server";

/**
 * The AuthService port on Supabase Auth. Each call builds a client bound to the
 * cookie jar it is given, so the session lives only in that request's cookies
 * (HttpOnly, chunked by @supabase/ssr).
 */
export function createSupabaseAuth(config: SupabaseConfig, options: SupabaseRuntimeOptions = {}): AuthService {
  const clientFor = (cookies: CookieJar) => createSupabaseClientForCookies(config, cookies, options);

  return {
    // getClaims verifies the access token (signature via the project's JWKS,
    // or by asking Auth for symmetric keys) and refreshes an expired session;
    // getSession would trust whatever the cookie says.
    async getUser(cookies) {
      const { data, error } = await clientFor(cookies).auth.getClaims();
      if (error) {
        if (isAuthUnavailable(error)) throw authError(error, "read session");
        return null;
      }
      const claims = data?.claims;
      if (!claims?.sub || claims.role !== "authenticated") return null;
      return { id: claims.sub, email: typeof claims.email === "string" ? claims.email : "" };
    },

    async signUp({ email, password }, cookies) {
      const emailRedirectTo = options.appUrl ? new URL("/auth/callback", options.appUrl).href : undefined;
      const { data, error } = await clientFor(cookies).auth.signUp({
        email,
        password,
        ...(emailRedirectTo ? { options: { emailRedirectTo } } : {}),
      });
      if (error) throw authError(error, "sign up");
      // No session: the project confirms emails first. (For an address that is
      // already registered, Supabase answers the same way on purpose, so this
      // message gives away nothing about who has an account.)
      if (!data.session || !data.user) throw new EmailConfirmationRequired(email);
      return toSessionUser(data.user);
    },

    async signIn(credentials, cookies) {
      const { data, error } = await clientFor(cookies).auth.signInWithPassword(credentials);
      if (error) throw authError(error, "sign in");
      return toSessionUser(data.user);
    },

    async signOut(cookies) {
      // "local" ends this browser's session only, as signing out does in local mode.
      const { error } = await clientFor(cookies).auth.signOut({ scope: "local" });
      if (error) {
        // Auth could not be told (it is unreachable): the refresh token then
        // expires on its own, but this browser must be signed out regardless.
        console.warn("Supabase sign-out failed; clearing the session cookies anyway.", error);
        clearSessionCookies(cookies);
      }
    },
  };
}

function toSessionUser(user: User): SessionUser {
  return { id: user.id, email: user.email ?? "" };
}

function clearSessionCookies(cookies: CookieJar) {
  const all = (cookies as CookieJar & { getAll?: () => { name: string }[] }).getAll?.() ?? [];
  for (const { name } of all) if (/^sb-.+-auth-token(\.\d+)?$/.test(name)) cookies.delete(name);
}
