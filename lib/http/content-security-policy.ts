/**
 * The Content-Security-Policy of every page, built per request by proxy.ts from
 * the running server's environment: a build made once can be deployed against
 * any Supabase project (next.config.ts `headers()` would fix the origin at build time).
 *
 * Next's bootstrap and RSC payload are inline scripts, so without per-request
 * nonces (which would make every page dynamic) 'unsafe-inline' is needed for
 * scripts; 'unsafe-eval' is not, except under `next dev`, where React rebuilds
 * server error stacks with eval. Images (signed URLs) and API calls may also go
 * to the Supabase project, when there is one.
 */
export function contentSecurityPolicy({ development, supabaseUrl }: { development: boolean; supabaseUrl?: string }): string {
  const supabase = originOf(supabaseUrl);
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'", ...(development ? ["'unsafe-eval'"] : [])],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:", ...(supabase ? [supabase] : [])],
    "font-src": ["'self'"],
    // Supabase's browser client talks https (auth) and wss (realtime) to the project.
    "connect-src": ["'self'", ...(supabase ? [supabase, supabase.replace(/^http/, "ws")] : [])],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(" ")}`)
    .join("; ");
}

/** Paths whose policy is next.config.ts's stricter one for stored files, never the page policy. */
export function hasFilePolicy(pathname: string): boolean {
  return pathname === "/api/files" || pathname.startsWith("/api/files/");
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.origin : undefined;
  } catch {
    // lib/env.ts reports a malformed URL when the server starts; the policy just leaves it out.
    return undefined;
  }
}
