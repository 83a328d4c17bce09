import { AppError } from "@/lib/errors";
import type { SessionUser } from "@/lib/predictions/ports";

/** The part of Next's cookie store that auth needs; `cookies()` and NextResponse both fit. */
export type CookieJar = {
  get(name: string): { value: string } | undefined;
  getAll(): { name: string; value: string }[];
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

/** Where a sign-in or sign-up comes from, for throttling per address; null when unknown. */
export type SignInRequest = { clientAddress: string | null };

/**
 * What signUp throws when the account was created but must be confirmed from
 * an email first (Supabase projects with "Confirm email" on): nobody is signed in.
 */
export class EmailConfirmationRequired extends AppError {
  static readonly errorName = "EmailConfirmationRequired";
  readonly email: string;
  constructor(email: string) {
    super("unauthorized", "Check your email: we sent you a link to confirm your account. Open it to finish signing up.");
    this.name = EmailConfirmationRequired.errorName;
    this.email = email;
  }
}

/**
 * The auth port: local (auth.users + a JWT cookie) and Supabase Auth implement
 * it. Sessions travel in HttpOnly cookies only.
 */
export interface AuthService {
  getUser(cookies: CookieJar): Promise<SessionUser | null>;
  /**
   * Signs the new person in, or throws EmailConfirmationRequired when the
   * backend wants the email confirmed first, and AppError("rate_limited") after
   * too many sign-ups from one address.
   */
  signUp(credentials: Credentials, cookies: CookieJar, request?: SignInRequest): Promise<SessionUser>;
  /**
   * Throws AppError("unauthorized") for wrong credentials, without saying which
   * part was wrong, and AppError("rate_limited") after too many failures.
   */
  signIn(credentials: Credentials, cookies: CookieJar, request?: SignInRequest): Promise<SessionUser>;
  signOut(cookies: CookieJar): Promise<void>;
}
