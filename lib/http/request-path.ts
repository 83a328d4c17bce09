import { safeNextPath } from "@/lib/auth/safe-next-path";

/**
 * The path and query of the page being rendered, which the proxy writes into
 * the request for server components: Next tells a page its params but tells a
 * layout nothing about where it is. The proxy sets it on every /dashboard
 * request, the only place it is read, so a value a browser sent never is.
 */
export const REQUEST_PATH_HEADER = "x-sdxl-request-path";

/**
 * Where to send someone whose session is gone: sign-in, coming back to the page
 * they asked for (sanitised like every `next`), or plain sign-in when nobody said.
 */
export function signInPathFor(requestedPath: string | null | undefined): string {
  if (!requestedPath) return "/login";
  return `/login?next=${encodeURIComponent(safeNextPath(requestedPath))}`;
}
