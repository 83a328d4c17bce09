import { createServerClient } from "@supabase/ssr";
import type { JwtPayload } from "@supabase/supabase-js";
import { NextResponse, type NextRequest } from "next/server";
import { serverRealtimeOptions, sessionCookieOptions } from "@/lib/supabase/client-options";
import type { Database } from "@/lib/supabase/database.types";
import { createRefreshGuard } from "@/lib/supabase/refresh-guard";

/**
 * Refreshes the Supabase session for one request, in the root proxy, before any
 * page or route runs. Server Components cannot write cookies, so this is where
 * a refreshed token reaches both the browser (response cookies) and the page
 * being rendered (request cookies).
 *
 * Returns the response to send (or to copy cookies from) and the verified
 * claims, or null when nobody is signed in.
 */
export async function updateSupabaseSession(
  request: NextRequest,
  config: { url: string; publishableKey: string; secureCookies?: boolean },
): Promise<{ response: NextResponse; claims: JwtPayload | null; refreshRateLimited: number | null }> {
  let response = NextResponse.next({ request });
  const guard = createRefreshGuard();

  // A new client per request: it carries this person's session.
  const supabase = createServerClient<Database>(config.url, config.publishableKey, {
    cookieOptions: sessionCookieOptions(config.secureCookies || request.nextUrl.protocol === "https:"),
    realtime: serverRealtimeOptions(),
    global: { fetch: guard.fetch },
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll(cookiesToSet, headers) {
        // A refresh refused for rate limiting is not a signed-out session: keep the cookies.
        if (guard.rateLimited() !== null) cookiesToSet = cookiesToSet.filter(({ value }) => value);
        for (const { name, value } of cookiesToSet) request.cookies.set(name, value);
        response = NextResponse.next({ request });
        for (const { name, value, options } of cookiesToSet) response.cookies.set(name, value, options);
        // Responses that set session cookies must never be cached by a CDN.
        for (const [name, value] of Object.entries(headers ?? {})) response.headers.set(name, value);
      },
    },
  });

  // Nothing may run between creating the client and getClaims(): getClaims
  // refreshes an expired session, and anything that reads the session first
  // could act on the stale one and sign the person out at random.
  const { data } = await supabase.auth.getClaims();
  return { response, claims: data?.claims ?? null, refreshRateLimited: guard.rateLimited() };
}
