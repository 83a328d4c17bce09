import { afterEach, describe, expect, it, vi } from "vitest";
import nextConfig, { FILE_CONTENT_SECURITY_POLICY } from "@/next.config";

type Rule = { source: string; headers: Array<{ key: string; value: string }> };

/** The headers Next would send for `path`: every matching rule in order, later ones winning, as Next applies them. */
async function headersFor(path: string): Promise<Record<string, string>> {
  const rules = (await nextConfig.headers!()) as Rule[];
  const result: Record<string, string> = {};
  for (const rule of rules) {
    const prefix = rule.source.replace("/:path*", "");
    if (path === prefix || path.startsWith(`${prefix}/`) || prefix === "") {
      for (const { key, value } of rule.headers) result[key.toLowerCase()] = value;
    }
  }
  return result;
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
    const csp = directives(headers["content-security-policy"]);
    expect(csp.get("default-src")).toEqual(["'self'"]);
    expect(csp.get("frame-ancestors")).toEqual(["'none'"]);
    expect(csp.get("object-src")).toEqual(["'none'"]);
    expect(csp.get("base-uri")).toEqual(["'self'"]);
    expect(csp.get("form-action")).toEqual(["'self'"]);
    expect(csp.get("script-src")).toEqual(["'self'", "'unsafe-inline'"]);
    expect(headers["content-security-policy"]).not.toContain("unsafe-eval");
  });

  it("allows eval only under next dev, which needs it for error overlays", async () => {
    vi.stubEnv("NODE_ENV", "development");
    const csp = directives((await headersFor("/"))["content-security-policy"]);
    expect(csp.get("script-src")).toContain("'unsafe-eval'");
  });

  it("lets images and API calls reach the Supabase project when there is one, and nothing else", async () => {
    vi.stubEnv("NODE_ENV", "production");
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "https://abcd.supabase.co/");
    const csp = directives((await headersFor("/dashboard"))["content-security-policy"]);
    expect(csp.get("img-src")).toEqual(["'self'", "data:", "blob:", "https://abcd.supabase.co"]);
    expect(csp.get("connect-src")).toEqual(["'self'", "https://abcd.supabase.co", "wss://abcd.supabase.co"]);

    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "");
    const local = directives((await headersFor("/dashboard"))["content-security-policy"]);
    expect(local.get("img-src")).toEqual(["'self'", "data:", "blob:"]);
    expect(local.get("connect-src")).toEqual(["'self'"]);
  });

  it("serves stored files under a policy that lets nothing run, and still nosniff", async () => {
    const headers = await headersFor("/api/files/some-user/some-image.png");
    expect(headers["content-security-policy"]).toBe(FILE_CONTENT_SECURITY_POLICY);
    expect(directives(FILE_CONTENT_SECURITY_POLICY).get("default-src")).toEqual(["'none'"]);
    expect(FILE_CONTENT_SECURITY_POLICY).toContain("sandbox");
    expect(headers["x-content-type-options"]).toBe("nosniff");
  });
});
