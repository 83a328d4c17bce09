/**
 * Keeps a rate-limited token refresh from signing people out.
 *
 * Supabase Auth limits `/token` per caller IP (about 150 per 5 minutes, burst
 * 30: supabase/auth internal/api/apilimiter), and every refresh comes from this
 * server. auth-js treats a 429 like a refused refresh token: once the access
 * token has expired it removes the session, which @supabase/ssr turns into
 * cleared cookies (auth-js GoTrueClient `_callRefreshToken`). So one busy
 * minute would sign out everyone who comes back after their token expired.
 *
 * The guard wraps the client's fetch: a 429 on a refresh is remembered, the
 * session cookies are then left as they are (server.ts, proxy-session.ts skip
 * the deletions), and for the Retry-After time this process does not ask Auth
 * again, answering the same 429 itself. The person is told to retry in a
 * moment and stays signed in; the next request after the wait refreshes.
 *
 * Kept free of server-only imports: the proxy loads it too.
 */
const processCooldown = { until: 0 };
const DEFAULT_RETRY_AFTER_SECONDS = 30;

export type RefreshGuard = {
  fetch: typeof fetch;
  /** Seconds to wait when a refresh in this client was rate limited, else null. */
  rateLimited(): number | null;
};

export function createRefreshGuard(): RefreshGuard {
  let limitedFor: number | null = null;
  return {
    async fetch(input, init) {
      if (!isRefresh(input)) return fetch(input, init);
      const now = Date.now();
      if (now < processCooldown.until) {
        limitedFor = Math.ceil((processCooldown.until - now) / 1000);
        return Response.json(
          { code: "over_request_rate_limit", message: "Request rate limit reached" },
          { status: 429, headers: { "retry-after": String(limitedFor) } },
        );
      }
      const response = await fetch(input, init);
      if (response.status === 429) {
        limitedFor = Number(response.headers.get("retry-after")) || DEFAULT_RETRY_AFTER_SECONDS;
        processCooldown.until = Date.now() + limitedFor * 1000;
      }
      return response;
    },
    rateLimited: () => limitedFor,
  };
}

/** For tests: forget a cooldown left by an earlier case. */
export function resetRefreshCooldownForTests(): void {
  processCooldown.until = 0;
}

function isRefresh(input: RequestInfo | URL): boolean {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  return url.pathname.endsWith("/auth/v1/token") && url.searchParams.get("grant_type") === "refresh_token";
}
