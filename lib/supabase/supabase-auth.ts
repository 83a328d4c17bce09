import "server-only";
import { createClient, type User } from "@supabase/supabase-js";
import { EmailConfirmationRequired, type AuthService, type CookieJar, type SignInRequest } from "@/lib/auth/auth-service";
import type { SignInThrottle } from "@/lib/auth/sign-in-throttle";
import { AppError } from "@/lib/errors";
import type { SessionUser } from "@/lib/predictions/ports";
import { authError, isAuthUnavailable } from "@/lib/supabase/auth-errors";
import { serverRealtimeOptions, type SupabaseConfig, type SupabaseRuntimeOptions, type TypedSupabaseClient } from "@/lib/supabase/client-options";
import { createRefreshGuard } from "@/lib/supabase/refresh-guard";
import { createSupabaseClientForCookies } from "@/lib/supabase/server";

/**
 * The AuthService port on Supabase Auth. Each call builds a client bound to the
 * cookie jar it is given, so the session lives only in that request's cookies
 * (HttpOnly, chunked by @supabase/ssr).
 *
 * Every call that spends Auth's per-IP budget (sign-in, sign-up, emails) passes
 * the app's throttle first (lib/auth/sign-in-throttle.ts), so one abuser is
 * refused here, from their own budget, before Auth refuses everyone.
 */
export function createSupabaseAuth(
  config: SupabaseConfig,
  options: SupabaseRuntimeOptions & { throttle: SignInThrottle; admin?: () => TypedSupabaseClient },
): AuthService {
  const { throttle } = options;
  const clientFor = (cookies: CookieJar, request?: SignInRequest) =>
    createSupabaseClientForCookies(config, cookies, options, { clientAddress: request?.clientAddress });
  /** Where links in emails lead: APP_URL, else the origin the person is using now. */
  const linkTo = (path: string, request?: SignInRequest) => {
    const origin = options.appUrl ?? request?.origin;
    return origin ? new URL(path, origin).href : undefined;
  };

  async function currentUser(client: TypedSupabaseClient, guard = createRefreshGuard()) {
    const { data, error } = await client.auth.getClaims();
    const limited = guard.rateLimited();
    if (limited !== null) {
      throw new AppError("upstream_unavailable", "Sign-in is busy for a moment. You are still signed in; try again in a few seconds.", {
        retryAfter: limited,
      });
    }
    if (error) {
      if (isAuthUnavailable(error)) throw authError(error, "read session");
      return null;
    }
    const claims = data?.claims;
    if (!claims?.sub || claims.role !== "authenticated") return null;
    return { id: claims.sub, email: typeof claims.email === "string" ? claims.email : "" };
  }

  return {
    // getClaims verifies the access token (signature via the project's JWKS,
    // or by asking Auth for symmetric keys) and refreshes an expired session;
    // getSession would trust whatever the cookie says.
    async getUser(cookies) {
      const guard = createRefreshGuard();
      return currentUser(createSupabaseClientForCookies(config, cookies, options, { guard }), guard);
    },

    async signUp({ email, password }, cookies, request) {
      // Sign-up sends a confirmation email (when the project confirms emails): counted per address and per address of mail.
      await throttle.beginSignUp({ address: request?.clientAddress, email });
      // Without APP_URL the link comes back to the origin the person signed up
      // on; with neither, Supabase would send them to its Site URL, which does
      // not finish the sign-in.
      const emailRedirectTo = linkTo("/auth/callback", request);
      const { data, error } = await clientFor(cookies, request).auth.signUp({
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

    async signIn(credentials, cookies, request) {
      const attempt = await throttle.begin({ email: credentials.email, address: request?.clientAddress });
      const { data, error } = await clientFor(cookies, request).auth.signInWithPassword(credentials);
      if (error) throw authError(error, "sign in");
      await attempt.succeeded();
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

    async sendSignInLink({ email, redirectTo }, cookies, request) {
      await throttle.beginSignUp({ address: request.clientAddress, email, what: "email" });
      const { error } = await clientFor(cookies, request).auth.signInWithOtp({ email, options: { emailRedirectTo: redirectTo } });
      if (error) throw authError(error, "send magic link");
    },

    async requestPasswordReset({ email }, cookies, request) {
      await throttle.beginSignUp({ address: request.clientAddress, email, what: "email" });
      // Back through /auth/callback (PKCE, this browser) to the page that sets the new password.
      const redirectTo = new URL("/auth/callback", options.appUrl ?? request.origin);
      redirectTo.searchParams.set("next", "/reset-password");
      const { error } = await clientFor(cookies, request).auth.resetPasswordForEmail(email, { redirectTo: redirectTo.href });
      if (error) throw authError(error, "send password reset");
    },

    async resetPassword({ password }, cookies) {
      // The link signed the person in with a recovery session; without one there is nothing to reset.
      const client = clientFor(cookies);
      const user = await currentUser(client);
      if (!user) throw new AppError("unauthorized", "That reset link has expired or was already used. Ask for a new one.");
      const { error } = await client.auth.updateUser({ password });
      if (error) throw authError(error, "set new password");
      return user;
    },

    async changePassword({ currentPassword, newPassword }, cookies, request) {
      const client = clientFor(cookies, request);
      const user = await currentUser(client);
      if (!user) throw new AppError("unauthorized", "Sign in to continue.");
      // Checked here, not left to the project's "require current password"
      // setting (off by default): a password check is a sign-in attempt, throttled as one.
      const attempt = await throttle.begin({ email: user.email, address: request?.clientAddress });
      const check = createClient(config.url, config.publishableKey, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: serverRealtimeOptions(),
        ...(request?.clientAddress ? { global: { headers: { "sb-forwarded-for": request.clientAddress } } } : {}),
      });
      const { error: wrong } = await check.auth.signInWithPassword({ email: user.email, password: currentPassword });
      if (wrong) {
        const mapped = authError(wrong, "check current password");
        if (mapped.code !== "unauthorized") throw mapped;
        throw new AppError("invalid_input", "Your current password is not right.", { fields: { currentPassword: ["Your current password is not right."] } });
      }
      await attempt.succeeded();
      // The check made a session of its own; it is not needed.
      await check.auth.signOut({ scope: "local" }).catch(() => undefined);
      const { error } = await client.auth.updateUser({ password: newPassword, current_password: currentPassword });
      if (error) throw authError(error, "change password");
      // Other browsers keep their refresh tokens until they expire unless ended: end them, keep this one.
      await client.auth.signOut({ scope: "others" }).catch(() => undefined);
    },

    async deleteAccount(user, cookies) {
      if (!options.admin) {
        throw new AppError("internal", "Deleting accounts needs SUPABASE_SERVICE_ROLE_KEY on the server.");
      }
      // Deleting the user ends their sessions at Auth and, through the foreign
      // keys (on delete cascade), their rows.
      const { error } = await options.admin().auth.admin.deleteUser(user.id);
      if (error && error.status !== 404) throw authError(error, "delete account");
      clearSessionCookies(cookies);
    },
  };
}

function toSessionUser(user: User): SessionUser {
  return { id: user.id, email: user.email ?? "" };
}

function clearSessionCookies(cookies: CookieJar) {
  for (const { name } of cookies.getAll()) if (/^sb-.+-auth-token(\.\d+|-code-verifier)?$/.test(name)) cookies.delete(name);
}
