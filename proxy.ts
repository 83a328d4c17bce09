import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE } from "@/lib/auth/session-cookie";
import { readProxyConfig } from "@/lib/env";
import { contentSecurityPolicy, hasFilePolicy } from "@/lib/http/content-security-policy";
import { REQUEST_PATH_HEADER, signInPathFor } from "@/lib/http/request-path";
import { refuseMalformedRequest } from "@/lib/http/request-guard";

/**
 * Runs before every page and route (see the matcher). In Supabase mode it
 * refreshes the session first, so Server Components, which cannot write
 * cookies, always see a fresh one. In both modes it sends signed-out visits to
 * /dashboard/* to sign-in, remembering where they were going. This is only the
 * fast path: every page, route handler and server action verifies the session
 * itself. Before all that, it answers malformed and cross-origin requests that
 * Next would turn into 500s (lib/http/request-guard.ts). Every answer carries
 * the page Content-Security-Policy, made from this server's environment now.
 */
export async function proxy(request: NextRequest) {
  const config = readProxyConfig();
  const response = await route(request, config);
  if (!hasFilePolicy(request.nextUrl.pathname)) {
    response.headers.set(
      "content-security-policy",
      contentSecurityPolicy({ development: config.development, supabaseUrl: config.supabase?.url }),
    );
  }
  return response;
}

async function route(request: NextRequest, { supabase, appUrl }: ReturnType<typeof readProxyConfig>): Promise<NextResponse> {
  const refused = await refuseMalformedRequest(request, appUrl);
  if (refused) return refused;
  const isProtectedPage = isProtected(request);
  // For the dashboard layout, which sends an expired session to sign-in and back
  // here. Only where that layout runs: forwarding headers costs every request.
  if (isProtectedPage) request.headers.set(REQUEST_PATH_HEADER, requestedPath(request));
  if (!supabase) {
    if (!isProtectedPage) return NextResponse.next();
    if (request.cookies.has(SESSION_COOKIE)) return NextResponse.next({ request });
    return NextResponse.redirect(loginUrl(request));
  }

  // Loaded only in Supabase mode, so local mode never evaluates supabase-js here.
  const { updateSupabaseSession } = await import("@/lib/supabase/proxy-session");
  const { response, claims, refreshRateLimited } = await updateSupabaseSession(request, supabase);
  // Auth refused to refresh for now (rate limited): the person is still signed
  // in, and their cookies are kept; ask them to retry instead of signing them out.
  if (!claims && refreshRateLimited !== null) return busy(request, refreshRateLimited);
  if (claims || !isProtectedPage) return response;
  const redirect = NextResponse.redirect(loginUrl(request));
  // Keep whatever the refresh wrote (e.g. cleared cookies of a dead session).
  for (const cookie of response.cookies.getAll()) redirect.cookies.set(cookie);
  return redirect;
}

function busy(request: NextRequest, retryAfter: number): NextResponse {
  const headers = { "retry-after": String(retryAfter), "cache-control": "no-store" };
  const message = "Sign-in is busy for a moment. You are still signed in; try again in a few seconds.";
  if (request.nextUrl.pathname.startsWith("/api/") || request.method !== "GET") {
    return NextResponse.json({ error: { code: "upstream_unavailable", message } }, { status: 503, headers });
  }
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${retryAfter}"><title>One moment</title></head><body><main><h1>One moment</h1><p>${message} This page reloads by itself.</p></main></body></html>`;
  return new NextResponse(page, { status: 503, headers: { ...headers, "content-type": "text/html; charset=utf-8" } });
}

function isProtected(request: NextRequest): boolean {
  const { pathname } = request.nextUrl;
  return pathname === "/dashboard" || pathname.startsWith("/dashboard/");
}

function requestedPath(request: NextRequest): string {
  return `${request.nextUrl.pathname}${request.nextUrl.search}`;
}

function loginUrl(request: NextRequest): URL {
  return new URL(signInPathFor(requestedPath(request)), request.url);
}

export const config = {
  // Everything except static assets and images, so sessions refresh on every
  // page, route handler and server action. Also except local mode's input
  // upload route (api/inputs/<id>/content): Next hands a proxied route only the
  // first 10 MB of its body, and that route checks the session itself.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|api/inputs/[^/]+/content$|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico)$).*)"],
};
