import type { SessionUser } from "@/lib/predictions/ports";

/** The part of Next's cookie store that auth needs; `cookies()` and NextResponse both fit. */
export type CookieJar = {
  get(name: string): { value: string } | undefined;
  set(name: string, value: string, options?: CookieOptions): unknown;
  delete(name: string): unknown;
};

export type CookieOptions = {
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: "lax" | "strict" | "none";
  path?: string;
  maxAge?: number;
};

export type Credentials = { email: string; password: string };

/**
 * The auth port: local (auth.users + a JWT cookie) and Supabase Auth implement
 * it. Sessions travel in HttpOnly cookies only.
 */
export interface AuthService {
  getUser(cookies: CookieJar): Promise<SessionUser | null>;
  signUp(credentials: Credentials, cookies: CookieJar): Promise<SessionUser>;
  /** Throws AppError("unauthorized") for wrong credentials, without saying which part was wrong. */
  signIn(credentials: Credentials, cookies: CookieJar): Promise<SessionUser>;
  signOut(cookies: CookieJar): Promise<void>;
}
