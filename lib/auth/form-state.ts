/** The state sign-in and sign-up forms render; returned by their server actions. */
export type AuthFormState = {
  error?: string;
  /** Good news that is not a sign-in yet, e.g. "check your email to confirm". */
  notice?: string;
  fields?: { email?: string[]; password?: string[] };
  /** Echoed back so a failed attempt does not clear what the person typed. */
  email?: string;
};
