/**
 * Where the app is willing to download a model's output from. The URL comes
 * from Replicate's answer, which the server fetched itself, but it is still
 * checked: a compromised or misconfigured upstream must not turn the save into
 * a request to an arbitrary host (an internal address, a metadata service).
 */

export const REPLICATE_DELIVERY_HOST = "replicate.delivery";

/**
 * The output URL as a parsed URL when it may be downloaded, else null.
 * - https on `replicate.delivery` or any `*.replicate.delivery`, default port;
 * - the exact host (and port) of REPLICATE_BASE_URL when one is set, over
 *   https, or over http only when REPLICATE_BASE_URL itself is http (a
 *   Replicate-compatible server on a private network); nothing else over http.
 */
export function allowedOutputUrl(value: unknown, baseUrl?: string): URL | null {
  if (typeof value !== "string") return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  // Credentials in an output URL are never legitimate and only confuse readers of logs.
  if (url.username !== "" || url.password !== "") return null;

  if (url.protocol === "https:" && url.port === "" && isDeliveryHost(url.hostname)) return url;

  const base = parseBaseUrl(baseUrl);
  if (base && url.host === base.host && (url.protocol === "https:" || url.protocol === base.protocol)) return url;
  return null;
}

function isDeliveryHost(hostname: string): boolean {
  return hostname === REPLICATE_DELIVERY_HOST || hostname.endsWith(`.${REPLICATE_DELIVERY_HOST}`);
}

function parseBaseUrl(baseUrl: string | undefined): URL | null {
  if (!baseUrl) return null;
  try {
    const url = new URL(baseUrl);
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}
