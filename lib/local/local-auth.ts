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
import { createSignInThrottle } from "@/lib/local/sign-in-throttle";
import { createUser, userExists, verifyCredentials } from "@/lib/local/users";
import type { SessionUser } from "@/lib/predictions/ports";

const MAX_KNOWN_USERS = 10_000;

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
  // Sign-in and sign-up attempts per email and per address, kept in the database (lib/local/sign-in-throttle.ts).
  const throttle = createSignInThrottle({ db });

  // Users found in this database, so each request's session check is not a
  // query too. Local mode never deletes a user, and a data folder is only reset
  // between server runs, so a user found once stays for the life of this `db`.
  // Bounded so a flood of sign-ups cannot grow it without end.
  const knownUsers = new Set<string>();
  const verifyKey = importVerifyKey(signingKey);
  const rememberUser = (id: string) => {
    if (knownUsers.size >= MAX_KNOWN_USERS) knownUsers.clear();
    knownUsers.add(id);
  };

  async function startSession(user: SessionUser, cookies: CookieJar) {
    rememberUser(user.id);
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
      const user = await verifySessionToken(token, await verifyKey);
      if (!user) return null;
      // A valid token for a user who no longer exists (data folder reset with a
      // configured secret) must not pass: every row would fail its foreign key.
      if (knownUsers.has(user.id)) return user;
      if (!(await userExists(db, user.id))) return null;
      rememberUser(user.id);
      return user;
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
      cookies.delete(SESSION_COOKIE);
    },
  };
}
