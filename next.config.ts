import type { NextConfig } from "next";

/**
 * The Content-Security-Policy of every page. Next's bootstrap and RSC payload
 * are inline scripts, so without per-request nonces (which would make every
 * page dynamic) 'unsafe-inline' is needed for scripts; 'unsafe-eval' is not,
 * except under `next dev`, where React rebuilds server error stacks with eval.
 * Images and API calls may also go to the Supabase project, when there is one.
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

/**
 * Served files are images, never documents: even if a browser were talked into
 * treating one as HTML, it could run nothing and load nothing (as GitHub's raw
 * file host does).
 */
export const FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

export function securityHeaders({ development, supabaseUrl }: { development: boolean; supabaseUrl?: string }) {
  return [
    { key: "Content-Security-Policy", value: contentSecurityPolicy({ development, supabaseUrl }) },
    { key: "X-Content-Type-Options", value: "nosniff" },
    // Not "no-referrer": with it, browsers send `Origin: null` on same-origin
    // POSTs, and Next refuses server actions whose Origin does not match the host.
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()" },
  ];
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

const nextConfig: NextConfig = {
  // PGlite ships its Postgres as WebAssembly plus data files it loads from its
  // own package folder; bundling it would break those relative loads.
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,

  // Read when Next builds (or starts `next dev`): NEXT_PUBLIC_* values are fixed
  // at build time anyway. lib/env.ts validates them for the server.
  async headers() {
    const options = { development: process.env.NODE_ENV === "development", supabaseUrl: process.env.NEXT_PUBLIC_SUPABASE_URL };
    return [
      { source: "/:path*", headers: securityHeaders(options) },
      // Later rules win for the same header: files get the stricter policy.
      { source: "/api/files/:path*", headers: [{ key: "Content-Security-Policy", value: FILE_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;
