import { getPathMatch } from "next/dist/shared/lib/router/utils/path-match";
import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import nextConfig, { FILE_CONTENT_SECURITY_POLICY, PAGES_AND_ROUTES } from "@/next.config";
import { proxy } from "@/proxy";

type Rule = { source: string; headers: Array<{ key: string; value: string }> };

/**
 * The headers Next would send for `path`: every rule whose `source` matches (with
 * Next's own path matcher), in order, later ones winning, as Next applies them.
 */
async function headersFor(path: string): Promise<Record<string, string>> {
  const rules = (await nextConfig.headers!()) as Rule[];
  const result: Record<string, string> = {};
  for (const rule of rules) {
    if (getPathMatch(rule.source, { strict: true })(path)) {
      for (const { key, value } of rule.headers) result[key.toLowerCase()] = value;
    }
  }
  return result;
}

/** The page policy the running server sends for `path`: set by the proxy, from the environment of this moment. */
async function pagePolicy(path: string): Promise<string | null> {
  const response = await proxy(new NextRequest(new URL(path, "http://localhost:3000"), { headers: { host: "localhost:3000" } }));
  return response.headers.get("content-security-policy");
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

afterEach(() => vi.unstubAllEnvs());

describe("security headers", () => {
  it.each(["/", "/login", "/dashboard", "/dashboard/generate", "/api/replicate"])("sends the full set on %s", async (path) => {
    vi.stubEnv("NODE_ENV", "production");
    const headers = await headersFor(path);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["permissions-policy"]).toContain("camera=()");
    const csp = directives((await pagePolicy(path))!);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'self'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("script-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp.get("script-src")).not.toContain("'unsafe-eval'");
  });

  it.each(["/_next/static/chunks/0abc123.js", "/_next/static/css/0abc123.css", "/_next/static/media/logo.0abc.svg"])(
    "sends only nosniff with the build's own file %s, which is no document",
    async (path) => {
      const headers = await headersFor(path);
      expect(headers).toEqual({ "x-content-type-options": "nosniff" });
    },
  );

  it("still sends the full set on paths that only look like build files", async () => {
    for (const path of ["/_next/data/x.json", "/_next/static-page", "/api/_next/static/x.js"]) {
      expect(await headersFor(path), path).toHaveProperty("x-frame-options", "DENY");
    }
  });

  it("allows eval only under next dev, which needs it for error overlays", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const csp = directives((await pagePolicy("/"))!);
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
  });

  it("lets images and API calls reach the Supabase project when there is one, and nothing else", async () => {
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "https://abcd.supabase.co/");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY", "sb_publishable_test");
    const csp = directives((await pagePolicy("/login"))!);
    expect(csp.get("img-src")).toEqual(["'self'", "data:", "blob:", "https://abcd.supabase.co"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "https://abcd.supabase.co", "wss://abcd.supabase.co"]);

    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY", "");
    const local = directives((await pagePolicy("/login"))!);
    expect(local.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
    expect(local.get("connect-src")).toEqual(["'self'"]);
  });

  it("follows the running server's environment, not the one the app was built with", async () => {
    vi.stubEnv("NODE_ENV", "production");
    // What `next build` records: the config's headers, evaluated with the build machine's environment.
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "https://built-with.supabase.co");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY", "sb_publishable_build");
    const rules = (await nextConfig.headers!()) as Rule[];
    expect(JSON.stringify(rules)).not.toContain("built-with");
    expect(rules.find((rule) => rule.source === PAGES_AND_ROUTES)?.headers.map(({ key }) => key.toLowerCase())).not.toContain("content-security-policy");

    // The same build, started against another project, then reconfigured.
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "https://deployed.supabase.co");
    expect(directives((await pagePolicy("/login"))!).get("img-src")).toContain("https://deployed.supabase.co");
    expect(await pagePolicy("/login")).not.toContain("built-with");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "https://moved.supabase.co");
    expect(directives((await pagePolicy("/login"))!).get("connect-src")).toEqual(["'self'", "https://moved.supabase.co", "wss://moved.supabase.co"]);
  });

  it("serves stored files under a policy that lets nothing run, and still nosniff", async () => {
    const headers = await headersFor("/api/files/some-user/some-image.png");
    expect(headers["content-security-policy"]).toBe(FILE_CONTENT_SECURITY_POLICY);
    // The proxy leaves the files' policy alone, whatever path reaches it.
    expect(await pagePolicy("/api/files/some-user/some-image")).toBeNull();
    expect(directives(FILE_CONTENT_SECURITY_POLICY).get("default-src")).toEqual(["'none'"]);
    expect(FILE_CONTENT_SECURITY_POLICY).toContain("sandbox");
    expect(headers["x-content-type-options"]).toBe("nosniff");
  });
});
