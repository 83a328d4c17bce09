export const DEFAULT_AFTER_SIGN_IN = "/dashboard/generate";

const BASE = "http://app.invalid";

/*
 * Characters this app never has in a path, raw or percent-encoded: C0 controls,
 * DEL and backslashes (browsers drop tabs and newlines, and read `\` as `/`, so
 * `/\t/evil.example` and `/\evil.example` are `//evil.example` to them), and,
 * encoded, the dots, slashes and percent signs a second decoding (by a proxy,
 * a framework, the next hop of an email link) could turn into `..` or `//`.
 */
const RAW_FORBIDDEN = /[\u0000-\u001f\u007f\\]/;
const ENCODED_FORBIDDEN = /%(?:[01][0-9a-f]|7f|25|2e|2f|5c)/i;

/**
 * Where to go after signing in: only a path inside this app, or the default.
 * The one sanitiser for every `next` (sign-in and sign-up actions, the login
 * page, /auth/callback, /auth/confirm).
 *
 * It normalises first and decides on the result: the value is resolved against
 * a dummy origin with the WHATWG URL parser (what browsers use), and only a
 * path that stays on that origin, begins with exactly one slash, and comes back
 * unchanged when resolved again is accepted. So `/.//evil.com`, which the parser
 * normalises to `//evil.com`, is refused instead of returned, and what this
 * returns is safe to resolve against the app's origin any number of times.
 */
export function safeNextPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 512) return DEFAULT_AFTER_SIGN_IN;
  if (RAW_FORBIDDEN.test(value)) return DEFAULT_AFTER_SIGN_IN;
  const path = normalisedPath(value);
  if (path === null || normalisedPath(path) !== path) return DEFAULT_AFTER_SIGN_IN;
  return path;
}

/** The path, query and fragment `value` resolves to on this app, or null when it would leave it. */
function normalisedPath(value: string): string | null {
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE || url.username || url.password) return null;
  if (url.pathname.startsWith("//") || ENCODED_FORBIDDEN.test(url.pathname)) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}
