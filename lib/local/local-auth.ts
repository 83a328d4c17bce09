import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import type { AuthService, CookieJar } from "@/lib/auth/auth-service";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE } from "@/lib/auth/session-cookie";
import {
  importVerifyKey,
  type SessionClaims,
  SESSION_TTL_SECONDS,
  signSessionToken,
  verifySessionToken,
} from "@/lib/local/session-token";
import { createSessionRevocation } from "@/lib/local/session-revocation";
import { createSignInThrottle } from "@/lib/local/sign-in-throttle";
import { consumePasswordReset, createPasswordReset } from "@/lib/local/password-resets";
import { changePassword, createUser, deleteUser, verifyCredentials } from "@/lib/local/users";
import type { SessionUser } from "@/lib/predictions/ports";

const MAX_VERIFIED_TOKENS = 10_000;

export function createLocalAuth({
  db,
  signingKey,
  secureCookies,
  now,
}: {
  db: PGlite;
  signingKey: Uint8Array;
  /** Secure cookies need https; local mode is usually served over plain http on localhost. */
  secureCookies: boolean;
  /** The clock for session checks' caching (tests move it). */
  now?: () => number;
}): AuthService {
  // Sign-in and sign-up attempts per email and per address, kept in the database (lib/local/sign-in-throttle.ts).
  const throttle = createSignInThrottle({ db });
  // Sign-out and password changes end sessions on the server, not only in the browser.
  const sessions = createSessionRevocation({ db, now });
  const verifyKey = importVerifyKey(signingKey);

  async function startSession(user: SessionUser, cookies: CookieJar) {
    const generation = await sessions.currentGeneration(user.id);
    cookies.set(SESSION_COOKIE, await signSessionToken(user, signingKey, { generation }), {
      httpOnly: true,
      secure: secureCookies,
      sameSite: "lax",
      path: "/",
      maxAge: SESSION_TTL_SECONDS,
    });
  }

  // Checking a token's signature is the costliest step of a session check, and
  // the same token comes back with every poll. A token this key verified is
  // remembered by its exact text until it expires: the answer for those bytes
  // cannot change, and a token never verified (a forgery) is never remembered.
  // Revocation is still asked every time (sessions.isActive).
  const verified = new Map<string, SessionClaims>();
  const clock = now ?? (() => Date.now());

  async function verifiedSession(cookies: CookieJar): Promise<SessionClaims | null> {
    const token = cookies.get(SESSION_COOKIE)?.value;
    if (!token) return null;
    const known = verified.get(token);
    if (known && clock() < known.expiresAt) return known;
    verified.delete(token);
    const claims = await verifySessionToken(token, await verifyKey);
    if (claims) {
      // Bounded, so a flood of sessions cannot grow it without end.
      if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
      verified.set(token, claims);
    }
    return claims;
  }

  return {
    async getUser(cookies) {
      const claims = await verifiedSession(cookies);
      // Also refuses a valid token for a user who no longer exists (a data
      // folder reset with a configured secret): every row would fail its foreign key.
      if (!claims || !(await sessions.isActive(claims))) return null;
      return claims.user;
    },
    async signUp(credentials, cookies, request) {
      // Counted before the insert, taken emails included: each "already exists" answers who has an account.
      await throttle.beginSignUp({ address: request?.clientAddress });
      const user = await createUser(db, credentials);
      await startSession(user, cookies);
      return user;
    },
    async signIn(credentials, cookies, request) {
      const attempt = await throttle.begin({ email: credentials.email, address: request?.clientAddress });
      const user = await verifyCredentials(db, credentials);
      if (!user) throw new AppError("unauthorized", "Wrong email or password.");
      await attempt.succeeded();
      await startSession(user, cookies);
      return user;
    },
    async signOut(cookies) {
      const claims = await verifiedSession(cookies);
      if (claims) await sessions.revoke(claims);
      cookies.delete(SESSION_COOKIE);
    },
    async requestPasswordReset({ email }, _cookies, request) {
      // Counted like an email sent, per address and per email, whether or not there is an account.
      await throttle.beginSignUp({ address: request.clientAddress, email, what: "email" });
      const token = await createPasswordReset(db, { email });
      // Local mode sends no email: the link goes to the server's log, for
      // whoever runs it. The answer to the browser is the same either way.
      if (token) {
        const link = new URL("/reset-password", request.origin);
        link.searchParams.set("token", token);
        console.info(`[local auth] Password reset link for ${email.trim().toLowerCase()} (valid 1 hour, once): ${link.href}`);
      }
    },
    async resetPassword({ token, password }, cookies) {
      const user = token ? await consumePasswordReset(db, { token }) : null;
      if (!user) throw new AppError("unauthorized", "That reset link has expired or was already used. Ask for a new one.");
      // Ends every session the person had (a reset usually means a lost or leaked password).
      await changePassword(db, { userId: user.id, password });
      await startSession(user, cookies);
      return user;
    },
    async changePassword({ currentPassword, newPassword }, cookies, request) {
      const claims = await verifiedSession(cookies);
      if (!claims || !(await sessions.isActive(claims))) throw new AppError("unauthorized", "Sign in to continue.");
      const attempt = await throttle.begin({ email: claims.user.email, address: request?.clientAddress });
      if (!(await verifyCredentials(db, { email: claims.user.email, password: currentPassword }))) {
        throw new AppError("invalid_input", "Your current password is not right.", { fields: { currentPassword: ["Your current password is not right."] } });
      }
      await attempt.succeeded();
      // Every session ends, this one too; this browser gets a new one at once.
      await changePassword(db, { userId: claims.user.id, password: newPassword });
      sessions.forgetCached();
      await startSession(claims.user, cookies);
    },
    async deleteAccount(user, cookies) {
      await deleteUser(db, { userId: user.id, email: user.email });
      // Answers cached on this server would accept the person's sessions for a few more seconds.
      sessions.forgetCached();
      cookies.delete(SESSION_COOKIE);
    },
  };
}
