import type { NextConfig } from "next";

/**
 * Served files are images, never documents: even if a browser were talked into
 * treating one as HTML, it could run nothing and load nothing (as GitHub's raw
 * file host does).
 */
export const FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

/**
 * Headers that depend on nothing configurable. The pages' Content-Security-Policy
 * names the Supabase project, so it is set per request by proxy.ts from the
 * running server's environment (lib/http/content-security-policy.ts), not here,
 * where `next build` would fix it.
 */
export function securityHeaders() {
  return [
    { key: "X-Content-Type-Options", value: "nosniff" },
    // Not "no-referrer": with it, browsers send `Origin: null` on same-origin
    // POSTs, and Next refuses server actions whose Origin does not match the host.
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()" },
  ];
}

/** Every path except the hashed build files under /_next/static/ (path-to-regexp, as Next matches `source`). */
export const PAGES_AND_ROUTES = "/((?!_next/static/).*)";

const nextConfig: NextConfig = {
  // PGlite ships its Postgres as WebAssembly plus data files it loads from its
  // own package folder; bundling it would break those relative loads.
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,

  // Read when Next builds: nothing here may depend on the deployment's environment.
  async headers() {
    return [
      // Everything but the build's scripts and styles, which are not documents: there
      // framing, referrer, opener and permissions rules mean nothing, and on a page's
      // first visit they cost about 230 bytes on each of its 6 to 9 scripts.
      { source: PAGES_AND_ROUTES, headers: securityHeaders() },
      { source: "/_next/static/:path*", headers: [{ key: "X-Content-Type-Options", value: "nosniff" }] },
      // Fixed, so it can live here; the proxy leaves these paths' policy alone.
      { source: "/api/files/:path*", headers: [{ key: "Content-Security-Policy", value: FILE_CONTENT_SECURITY_POLICY }] },
    ];
  },
};

export default nextConfig;
