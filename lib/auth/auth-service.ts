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

/**
 * Where a sign-in or sign-up comes from: the client's address, for throttling
 * per address (null when unknown), and this app's origin as the browser sees
 * it, for links in emails when APP_URL is not set.
 */
export type SignInRequest = { clientAddress: string | null; origin?: string };

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
  /** Emails a one-time sign-in link back to `redirectTo` (Supabase only: local mode has no email). */
  sendSignInLink?(args: { email: string; redirectTo: string }, cookies: CookieJar, request: SignInRequest): Promise<void>;
  /**
   * Sends a link to set a new password, landing on `/reset-password`; answers
   * the same whether or not the email has an account. Local mode has no email
   * to send, so it writes the link to the server's log.
   */
  requestPasswordReset(args: { email: string }, cookies: CookieJar, request: SignInRequest & { origin: string }): Promise<void>;
  /**
   * Sets a new password from a reset link and signs the person in: local mode
   * checks the link's `token`; Supabase has already signed them in with a
   * recovery session when they opened the link.
   */
  resetPassword(args: { token?: string; password: string }, cookies: CookieJar): Promise<SessionUser>;
  /**
   * Changes the signed-in person's password after checking the current one
   * (throttled like a sign-in); other sessions end, this browser stays signed in.
   */
  changePassword(args: { currentPassword: string; newPassword: string }, cookies: CookieJar, request?: SignInRequest): Promise<void>;
  /**
   * Deletes the signed-in person's account (their rows go with it) and signs
   * this browser out. Their files must be removed first (lib/auth/delete-account.ts).
   */
  deleteAccount(user: SessionUser, cookies: CookieJar): Promise<void>;
}
