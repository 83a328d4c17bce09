export const DEFAULT_AFTER_SIGN_IN = "/dashboard/generate";

/**
 * Where to go after signing in. Only paths inside this app are accepted: an
 * absolute or protocol-relative `next` would make the sign-in page an open redirect.
 */
export function safeNextPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 512) return DEFAULT_AFTER_SIGN_IN;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return DEFAULT_AFTER_SIGN_IN;
  try {
    const url = new URL(value, "http://app.invalid");
    if (url.origin !== "http://app.invalid") return DEFAULT_AFTER_SIGN_IN;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return DEFAULT_AFTER_SIGN_IN;
  }
}
