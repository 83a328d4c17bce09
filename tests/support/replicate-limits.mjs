// Replicate's per-account request limits, as its docs state them
// (replicate.com/docs/topics/predictions/rate-limits, checked 2026-12): creates
// at 600 a minute, every other endpoint at 3,000 a minute; past either, 429 with
// the body `{"detail":"Request was throttled. Your rate limit resets in ~30s."}`.
// Modelled as a fixed window per budget (bursts inside a window go through, as
// Replicate allows short bursts) with Retry-After set to when the window ends.
// Tests scale the budgets and the window down to make a minute's worth of
// traffic in seconds.

/** Replicate's own limits: a minute's window, 600 creates and 3,000 other calls. */
export const REPLICATE_LIMITS = Object.freeze({ windowMs: 60_000, creates: 600, reads: 3_000 });

/**
 * `take(kind)` spends one request of `kind` ("creates" or "reads"): null when
 * the budget allows it, else the 429 to answer ({ status, headers, body }).
 * `limits` null means no limits at all.
 */
export function createRateLimiter(limits = REPLICATE_LIMITS, now = () => Date.now()) {
  const windows = { creates: { start: -Infinity, count: 0 }, reads: { start: -Infinity, count: 0 } };
  return {
    limits,
    take(kind) {
      if (!limits) return null;
      const window = windows[kind];
      const at = now();
      if (at - window.start >= limits.windowMs) Object.assign(window, { start: at, count: 0 });
      if (++window.count <= limits[kind]) return null;
      const seconds = Math.max(1, Math.ceil((window.start + limits.windowMs - at) / 1000));
      return {
        status: 429,
        headers: { "retry-after": String(seconds) },
        body: { detail: `Request was throttled. Your rate limit resets in ~${seconds}s.` },
      };
    },
  };
}
