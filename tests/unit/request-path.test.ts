import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { REQUEST_PATH_HEADER, signInPathFor } from "@/lib/http/request-path";
import { proxy } from "@/proxy";

const APP = "http://localhost:3000";

function visit(path: string, headers: Record<string, string> = {}) {
  return proxy(new NextRequest(new URL(path, APP), { headers: { host: "localhost:3000", ...headers } }));
}

/** What the page's server components will read for `name`: Next forwards a proxy's request headers this way. */
function forwarded(response: Response, name: string): string | null {
  return response.headers.get(`x-middleware-request-${name}`);
}

afterEach(() => vi.unstubAllEnvs());

describe("coming back after sign-in", () => {
  it("names the page and its query, encoded, and refuses a path that would leave the app", () => {
    expect(signInPathFor("/dashboard/generate?from=abc")).toBe("/login?next=%2Fdashboard%2Fgenerate%3Ffrom%3Dabc");
    expect(signInPathFor("//evil.example/x")).toBe("/login?next=%2Fdashboard%2Fgenerate");
    expect(signInPathFor(null)).toBe("/login");
    expect(signInPathFor("")).toBe("/login");
  });

  it("tells the dashboard layout which page was asked for, overwriting what the browser sent", async () => {
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "");
    const response = await visit("/dashboard/generate?input=abc", { cookie: "sdxl-session=whatever", [REQUEST_PATH_HEADER]: "//evil.example" });
    expect(response.headers.get("location")).toBeNull();
    expect(forwarded(response, REQUEST_PATH_HEADER)).toBe("/dashboard/generate?input=abc");
  });

  it("sends a visit without a session cookie straight to sign-in, with the way back", async () => {
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "");
    const response = await visit("/dashboard/account?tab=security");
    expect(response.status).toBe(307);
    expect(new URL(response.headers.get("location")!).search).toBe("?next=%2Fdashboard%2Faccount%3Ftab%3Dsecurity");
  });

  it("forwards nothing outside the dashboard, where no layout reads it", async () => {
    vi.stubEnv("NEXT_PUBLIC_SUPABASE_URL", "");
    const response = await visit("/api/replicate/abc");
    expect(forwarded(response, REQUEST_PATH_HEADER)).toBeNull();
    expect(response.headers.get("x-middleware-override-headers")).toBeNull();
  });
});
