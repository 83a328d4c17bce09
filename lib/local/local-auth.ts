import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import type { AuthService, CookieJar } from "@/lib/auth/auth-service";
import { AppError } from "@/lib/errors";
import { SESSION_COOKIE } from "@/lib/auth/session-cookie";
import {
  SESSION_TTL_SECONDS,
  signSessionToken,
  verifySessionToken,
} from "@/lib/local/session-token";
import { createSignInThrottle } from "@/lib/local/sign-in-throttle";
import { createUser, userExists, verifyCredentials } from "@/lib/local/users";
import type { SessionUser } from "@/lib/predictions/ports";

export function createLocalAuth({
  db,
  signingKey,
  secureCookies,
}: {
  db: PGlite;
  signingKey: Uint8Array;
  /** Secure cookies need https; local mode is usually served over plain http on localhost. */
  secureCookies: boolean;
}): AuthService {
  // Failed sign-ins per email and per address, kept in the database (lib/local/sign-in-throttle.ts).
  const throttle = createSignInThrottle({ db });

  async function startSession(user: SessionUser, cookies: CookieJar) {
    cookies.set(SESSION_COOKIE, await signSessionToken(user, signingKey), {
      httpOnly: true,
      secure: secureCookies,
      sameSite: "lax",
      path: "/",
      maxAge: SESSION_TTL_SECONDS,
    });
  }

  return {
    async getUser(cookies) {
      const token = cookies.get(SESSION_COOKIE)?.value;
      if (!token) return null;
      const user = await verifySessionToken(token, signingKey);
      // A valid token for a user who no longer exists (data folder reset with a
      // configured secret) must not pass: every row would fail its foreign key.
      return user && (await userExists(db, user.id)) ? user : null;
    },
    async signUp(credentials, cookies) {
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
      cookies.delete(SESSION_COOKIE);
    },
  };
}
