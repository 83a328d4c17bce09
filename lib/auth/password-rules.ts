/**
 * Password limits, the one place they are set: credentials-schema.ts builds its
 * zod schemas from these, and the forms read them (hint and error) without
 * pulling zod into the browser bundle.
 *
 * The upper limit is Supabase Auth's: it hashes with bcrypt, which reads at
 * most 72 bytes, and refuses longer passwords with `validation_failed`
 * (supabase/auth internal/api/password.go, MaxPasswordLength, checked with Go's
 * len(), so in UTF-8 bytes, not characters). Local mode keeps the same limit so
 * an account can move between the two and a form never accepts what the
 * backend will refuse.
 */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_BYTES = 72;
/**
 * Signing in with a password longer than new ones may be: accounts made by
 * local mode before the 72-byte limit could have up to 200 characters.
 */
export const MAX_SIGN_IN_PASSWORD_LENGTH = 200;

export const PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters, at most ${MAX_PASSWORD_BYTES} bytes (about ${MAX_PASSWORD_BYTES} letters; accented letters and emoji count as 2–4).`;
export const PASSWORD_TOO_LONG = `Use at most ${MAX_PASSWORD_BYTES} bytes: that is ${MAX_PASSWORD_BYTES} plain letters, fewer with accented letters or emoji.`;
export const PASSWORD_TOO_SHORT = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;

/** The password's length as the backend counts it: UTF-8 bytes. */
export function passwordBytes(password: string): number {
  return new TextEncoder().encode(password).byteLength;
}

/** What is wrong with a new password, in words, or null when it is fine. */
export function newPasswordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return PASSWORD_TOO_SHORT;
  if (passwordBytes(password) > MAX_PASSWORD_BYTES) return PASSWORD_TOO_LONG;
  return null;
}
