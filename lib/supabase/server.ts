import "server-only";
import { createServerClient, type CookieOptions } from "@supabase/ssr";
import { cookies } from "next/headers";
import type { CookieJar } from "@/lib/auth/auth-service";
import {
  serverRealtimeOptions,
  sessionCookieOptions,
  type SupabaseConfig,
  type SupabaseRuntimeOptions,
  type TypedSupabaseClient,
} from "@/lib/supabase/client-options";
import type { Database } from "@/lib/supabase/database.types";
import { createRefreshGuard, type RefreshGuard } from "@/lib/supabase/refresh-guard";

/**
 * A client for the current request, acting as the signed-in person (or anon).
 * Don't keep it in a module-level variable: it carries one person's session,
 * and a shared client would hand it to the next request. Create it per request.
 */
export async function createSupabaseServerClient(
  config: SupabaseConfig,
  options: SupabaseRuntimeOptions = {},
): Promise<TypedSupabaseClient> {
  return createSupabaseClientForCookies(config, await cookies(), options);
}

/** Per-call extras: the client's address for Auth's per-IP limits, and the refresh guard. */
export type ClientCallOptions = {
  /**
   * Sent as `Sb-Forwarded-For`, which Supabase Auth uses instead of the
   * caller's IP for its rate limits when the project has it switched on
   * (GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED; supabase/auth internal/sbff).
   * Ignored by Auth otherwise.
   */
  clientAddress?: string | null;
  guard?: RefreshGuard;
};

/** The same, bound to any cookie jar (the AuthService receives one from its caller). */
export function createSupabaseClientForCookies(
  config: SupabaseConfig,
  jar: CookieJar,
  options: SupabaseRuntimeOptions = {},
  call: ClientCallOptions = {},
): TypedSupabaseClient {
  const guard = call.guard ?? createRefreshGuard();
  return createServerClient<Database>(config.url, config.publishableKey, {
    cookieOptions: sessionCookieOptions(options.secureCookies),
    realtime: serverRealtimeOptions(),
    global: { fetch: guard.fetch, ...(call.clientAddress ? { headers: { "sb-forwarded-for": call.clientAddress } } : {}) },
    cookies: {
      getAll: () => jar.getAll(),
      setAll(cookiesToSet) {
        try {
          for (const { name, value, options: cookie } of cookiesToSet) {
            // An empty value is @supabase/ssr removing a stale chunk or a signed-out session;
            // never because a refresh was rate limited (lib/supabase/refresh-guard.ts).
            if (value) jar.set(name, value, jarOptions(cookie));
            else if (guard.rateLimited() === null) jar.delete(name);
          }
        } catch {
          // setAll was called from a Server Component, which may not set
          // cookies. That is fine: the proxy (proxy.ts) refreshes the session
          // on every request before any page renders, so what would have been
          // written here has already been written there.
        }
      },
    },
  });
}

/** @supabase/ssr's options narrowed to what the CookieJar port accepts (and all this app sets). */
function jarOptions(options: CookieOptions) {
  const sameSite = typeof options.sameSite === "string" ? (options.sameSite.toLowerCase() as "lax" | "strict" | "none") : undefined;
  return {
    httpOnly: options.httpOnly,
    secure: options.secure,
    sameSite,
    path: options.path,
    maxAge: options.maxAge,
  };
}
