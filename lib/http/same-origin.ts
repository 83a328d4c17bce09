import { AppError } from "@/lib/errors";

/** Methods that change nothing; everything else must come from the app's own pages. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a browser's request must not be served because another origin sent it,
 * or null. Cookies go with requests any site makes (an HTML form posted from
 * evil.example, or from a sibling subdomain, which SameSite=Lax does not stop),
 * so a state-changing request is accepted only when:
 *
 * - Sec-Fetch-Site, when sent (every current browser does), says same-origin;
 * - Origin, when sent, is the app's own: APP_URL's origin when set, else the
 *   host the request was made to (Host or X-Forwarded-Host, compared by host
 *   because a TLS-terminating proxy hides the scheme; set APP_URL to pin it).
 *
 * A request with neither header is not a browser's (curl, a script): it can
 * only carry cookies its sender already holds, so it is the person themselves.
 * Neither header can be set by a page on another origin without a CORS
 * preflight, which this app never answers.
 */
export function crossOriginRefusal(request: Request, appUrl: string | undefined): AppError | null {
  if (SAFE_METHODS.has(request.method)) return null;
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return forbidden();
  const origin = request.headers.get("origin");
  if (origin !== null && !isOwnOrigin(origin, request, appUrl)) return forbidden();
  return null;
}

/** What a route's body may be: JSON (the default), or the raw bytes of a PNG, JPEG or WebP image (an upload). */
export type WriteBody = "json" | "image";

/**
 * The one check every state-changing route handler passes (lib/http/with-user.ts):
 * same origin as above, and a JSON content type for any body (or an image type,
 * for a route that takes an upload). An HTML form can send only text/plain,
 * urlencoded or multipart bodies without a preflight, and neither JSON nor an
 * image type is one of those, so refusing the rest closes the form-post route
 * even for a browser that sent no Origin.
 */
export function assertSameOriginWrite(request: Request, appUrl: string | undefined, body: WriteBody = "json"): void {
  const refusal = crossOriginRefusal(request, appUrl);
  if (refusal) throw refusal;
  if (SAFE_METHODS.has(request.method)) return;
  const contentType = request.headers.get("content-type");
  if (contentType === null) return;
  if (body === "image" && isImageContentType(contentType)) return;
  if (body === "json" && isJsonContentType(contentType)) return;
  throw new AppError(
    "unsupported_media_type",
    body === "image" ? "Send the image's bytes (content-type: image/png, image/jpeg or image/webp)." : "Send the body as JSON (content-type: application/json).",
  );
}

function isImageContentType(value: string): boolean {
  return /^image\/(png|jpeg|webp)\s*(;|$)/i.test(value);
}

export function isJsonContentType(value: string): boolean {
  return /^application\/json\s*(;|$)/i.test(value);
}

function isOwnOrigin(origin: string, request: Request, appUrl: string | undefined): boolean {
  const sent = parseOrigin(origin);
  if (!sent) return false;
  if (appUrl) return sent.origin === new URL(appUrl).origin;
  return requestHosts(request).includes(sent.host);
}

/** The hosts this request was addressed to: what the browser sees may be a proxy's X-Forwarded-Host. */
function requestHosts(request: Request): string[] {
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  const host = request.headers.get("host")?.trim();
  const hosts = [forwarded, host].filter((value): value is string => Boolean(value));
  // Requests built in process (tests, scripts) carry no Host header: their URL says where they went.
  if (hosts.length === 0) hosts.push(new URL(request.url).host);
  return hosts.map((value) => value.toLowerCase());
}

function parseOrigin(value: string): URL | null {
  if (value === "null") return null;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

function forbidden(): AppError {
  return new AppError("forbidden", "This request must come from the app's own pages.");
}
