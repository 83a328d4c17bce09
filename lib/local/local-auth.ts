import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import type { AuthService, CookieJar } from "@/lib/auth/auth-service";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE } from "@/lib/auth/session-cookie";
import {
  importVerifyKey,
  SESSION_TTL_SECONDS,
  signSessionToken,
  verifySessionToken,
} from "@/lib/local/session-token";
import { createSessionRevocation } from "@/lib/local/session-revocation";
import { createSignInThrottle } from "@/lib/local/sign-in-throttle";
import { createUser, verifyCredentials } from "@/lib/local/users";
import type { SessionUser } from "@/lib/predictions/ports";

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

  async function verifiedSession(cookies: CookieJar) {
    const token = cookies.get(SESSION_COOKIE)?.value;
    return token ? verifySessionToken(token, await verifyKey) : null;
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
  };
}
