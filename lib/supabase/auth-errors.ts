import { AppError, type ErrorCode } from "@/lib/errors";
import { PASSWORD_TOO_LONG } from "@/lib/auth/password-rules";
import { SupabaseError } from "@/lib/supabase/errors";

/**
 * The one place Supabase Auth's error codes become words a person can act on.
 * Codes and the situations that send them are Supabase Auth's own
 * (supabase/auth internal/api/apierrors/errorcode.go and the handlers that use
 * them; https://supabase.com/docs/guides/auth/debugging/error-codes). A code
 * not listed here is logged with its code and shown as a plain "try again".
 */

export type AuthFailure = { name?: string; message?: string; status?: number; code?: string };

type Mapped = { code: ErrorCode; message: string; field?: "email" | "password"; retryAfter?: number };

const SESSION_ENDED: Mapped = { code: "unauthorized", message: "Your session has ended. Sign in again." };
const LINK_EXPIRED: Mapped = { code: "unauthorized", message: "That link has expired. Ask for a new one." };
const LINK_ELSEWHERE: Mapped = {
  code: "unauthorized",
  message: "That link is not valid here. Open it in the browser you asked for it from, or ask for a new one.",
};
const TOO_MANY_REQUESTS: Mapped = {
  code: "rate_limited",
  message: "Sign-in is busy right now. Wait a minute, then try again.",
  retryAfter: 60,
};

export const AUTH_ERROR_MESSAGES: Record<string, Mapped> = {
  invalid_credentials: { code: "unauthorized", message: "Wrong email or password." },
  email_not_confirmed: { code: "unauthorized", message: "Confirm your email first: open the link we sent you, then sign in." },
  user_already_exists: { code: "conflict", message: "An account with this email already exists. Sign in instead." },
  email_exists: { code: "conflict", message: "An account with this email already exists. Sign in instead." },
  // Sent with Auth's reasons as its message; the message here is the fallback (see authError).
  weak_password: { code: "invalid_input", message: "Choose a stronger password.", field: "password" },
  same_password: { code: "invalid_input", message: "Choose a password different from your current one.", field: "password" },
  // Auth's generic 400 for a malformed field; the one a person meets is a password over 72 bytes (see authError).
  validation_failed: { code: "invalid_input", message: "Check the email and password, then try again." },
  email_address_invalid: { code: "invalid_input", message: "Use a different email address.", field: "email" },
  // A fresh hosted project sends email only to its own team until custom SMTP is set up.
  email_address_not_authorized: {
    code: "bad_request",
    message:
      "We can't send email to this address yet: this site's email sending is not set up for the public. Try again later, or tell the site's owner.",
    field: "email",
  },
  over_email_send_rate_limit: {
    code: "rate_limited",
    message: "Too many emails have been sent from this site for now. Try again in an hour, or sign in with your password.",
    retryAfter: 3600,
  },
  over_request_rate_limit: TOO_MANY_REQUESTS,
  signup_disabled: { code: "bad_request", message: "New accounts cannot be created here right now." },
  email_provider_disabled: { code: "bad_request", message: "Signing in with email is switched off on this site right now." },
  otp_disabled: { code: "bad_request", message: "Sign-in links only work for existing accounts here. Create an account with a password first." },
  captcha_failed: { code: "bad_request", message: "The site asked for a captcha this form cannot show. Tell the site's owner; try again later." },
  user_banned: { code: "forbidden", message: "This account has been suspended. Contact the site's owner." },
  reauthentication_needed: { code: "unauthorized", message: "For your safety, sign out and sign in again, then change your password." },
  otp_expired: LINK_EXPIRED,
  flow_state_expired: LINK_EXPIRED,
  flow_state_not_found: LINK_ELSEWHERE,
  bad_code_verifier: LINK_ELSEWHERE,
  session_not_found: SESSION_ENDED,
  session_expired: SESSION_ENDED,
  refresh_token_not_found: SESSION_ENDED,
  refresh_token_already_used: SESSION_ENDED,
  user_not_found: SESSION_ENDED,
  bad_jwt: SESSION_ENDED,
  no_authorization: SESSION_ENDED,
  request_timeout: { code: "upstream_unavailable", message: "Sign-in is not reachable right now. Please try again in a moment.", retryAfter: 5 },
};

/** True for auth-js errors that mean "could not reach Supabase Auth", not "wrong answer". */
export function isAuthUnavailable(error: AuthFailure): boolean {
  return error.name === "AuthRetryableFetchError" || (error.status ?? 0) >= 500;
}

/** Auth's error as an AppError in words; unknown codes are logged and read as "try again". */
export function authError(error: AuthFailure, operation: string): AppError {
  const cause = new SupabaseError(operation, error.message, { code: error.code, status: error.status });
  // Servers older than API version 2024-01-01 send only the message; the best-known one is matched.
  const code = error.code ?? (error.message === "Invalid login credentials" ? "invalid_credentials" : undefined);
  // A 429 without a code (an older server, or a proxy in front of Auth) is still a rate limit.
  const mapped = (code && AUTH_ERROR_MESSAGES[code]) || (error.status === 429 ? TOO_MANY_REQUESTS : undefined);
  if (mapped) {
    let { message } = mapped;
    let field = mapped.field;
    if (code === "validation_failed" && /password.*longer than/i.test(error.message ?? "")) {
      message = PASSWORD_TOO_LONG;
      field = "password";
    }
    // Auth's own reasons ("Password should be at least 8 characters.", "known to be weak") say what to change.
    if (code === "weak_password" && error.message) message = `Choose a stronger password. ${error.message}`;
    return new AppError(mapped.code, message, {
      cause,
      retryAfter: mapped.retryAfter,
      ...(field ? { fields: { [field]: [message] } } : {}),
    });
  }
  if (isAuthUnavailable(error)) {
    return new AppError("upstream_unavailable", "Sign-in is not reachable right now. Please try again in a moment.", { cause, retryAfter: 5 });
  }
  console.warn(`Supabase Auth answered an unmapped error during ${operation}: code=${code ?? "none"} status=${error.status ?? "none"}`, cause.message);
  return new AppError("upstream_error", "That did not work this time. Please try again in a moment.", { cause });
}
