import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships its Postgres as WebAssembly plus data files it loads from its
  // own package folder; bundling it would break those relative loads.
  serverExternalPackages: ["@electric-sql/pglite"],
  poweredByHeader: false,
};

export default nextConfig;
