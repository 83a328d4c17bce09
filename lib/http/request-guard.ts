import { parseAndValidateFlightRouterState } from "next/dist/server/app-render/parse-and-validate-flight-router-state";
import { NextResponse } from "next/server";
import { AppError, toErrorBody } from "@/lib/errors";
import { crossOriginRefusal } from "@/lib/http/same-origin";

/**
 * What proxy.ts refuses before Next sees it: requests Next itself would answer
 * with a 500 (and a logged stack) rather than a 4xx, and server-action calls
 * from other origins, which Next also refuses with a 500. Each gets the app's
 * JSON error shape and a 4xx, with nothing about the server in it.
 *
 * TRACE and TRACK never get this far (a fetch Request cannot even hold them):
 * lib/http/peer-address.ts answers them at the HTTP server.
 */
export function refuseMalformedRequest(request: Request, appUrl: string | undefined): NextResponse | null {
  const refusal = malformation(request, appUrl);
  if (!refusal) return null;
  return NextResponse.json(toErrorBody(refusal), { status: refusal.status, headers: { "cache-control": "no-store" } });
}

function malformation(request: Request, appUrl: string | undefined): AppError | null {
  // Route params ([id], [...path]) are percent-decoded by Next, which throws on a bad escape.
  const { pathname } = new URL(request.url);
  if (!decodes(pathname)) return new AppError("bad_request", "The address is not valid.");

  // Sent by the client router on navigations and actions; Next parses it before any page code runs.
  const routerState = request.headers.get("next-router-state-tree");
  if (routerState !== null && !isRouterState(routerState)) {
    return new AppError("bad_request", "The router state header is not valid.");
  }

  // Server actions are POSTs to pages (fetch calls carry Next-Action; forms
  // without JavaScript are multipart posts). Route handlers under /api check
  // their own writes (lib/http/with-user.ts), and the webhook and reconcile
  // endpoints must accept server-to-server calls.
  if (!pathname.startsWith("/api/")) return crossOriginRefusal(request, appUrl);
  return null;
}

function decodes(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

function isRouterState(value: string): boolean {
  try {
    // Next's own parser, so what passes here is exactly what Next accepts.
    parseAndValidateFlightRouterState(value);
    return true;
  } catch {
    return false;
  }
}
