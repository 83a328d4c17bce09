import { describe, expect, it } from "vitest";
import { DEFAULT_REPLICATE_VERSION, EnvError, parseServerEnv, readProxyConfig } from "@/lib/env";

describe("parseServerEnv", () => {
  it("chooses the local model and the local backend when nothing is set", () => {
    const env = parseServerEnv({});
    expect(env.model).toEqual({ kind: "local", durationMs: 4000, dataDir: ".data" });
    expect(env.backend).toEqual({ kind: "local", dataDir: ".data", authSecret: undefined });
    expect(env.limits).toEqual({ maxOutputBytes: 20 * 1024 * 1024, createsPerMinute: 10, concurrent: 2 });
  });

  it("treats empty strings as unset, as .env files often leave them", () => {
    const env = parseServerEnv({ REPLICATE_API_TOKEN: "", NEXT_PUBLIC_SUPABASE_URL: "  " });
    expect(env.model.kind).toBe("local");
    expect(env.backend.kind).toBe("local");
  });

  it("uses Replicate with the default SDXL version when only a token is set, keeping the local backend", () => {
    const env = parseServerEnv({ REPLICATE_API_TOKEN: "r8_test" });
    expect(env.model).toMatchObject({ kind: "replicate", apiToken: "r8_test", version: DEFAULT_REPLICATE_VERSION });
    expect(env.backend.kind).toBe("local");
  });

  it("runs a model by name when REPLICATE_MODEL is set", () => {
    const env = parseServerEnv({ REPLICATE_API_TOKEN: "r8_test", REPLICATE_MODEL: "black-forest-labs/flux-schnell" });
    expect(env.model).toMatchObject({ kind: "replicate", model: "black-forest-labs/flux-schnell" });
    expect(env.model).not.toHaveProperty("version");
  });

  it("chooses Supabase when its URL and publishable key are set, accepting the older anon key name", () => {
    const env = parseServerEnv({ NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co", NEXT_PUBLIC_SUPABASE_ANON_KEY: "anon" });
    expect(env.backend).toEqual({ kind: "supabase", url: "https://abc.supabase.co", publishableKey: "anon", serviceRoleKey: undefined });
    expect(env.model.kind).toBe("local");
  });

  it.each([
    [{ NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co" }, "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY"],
    [{ NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "pk" }, "NEXT_PUBLIC_SUPABASE_URL is missing"],
    [{ SUPABASE_SERVICE_ROLE_KEY: "sr" }, "NEXT_PUBLIC_SUPABASE_URL is missing"],
    [{ REPLICATE_MODEL: "owner/name" }, "REPLICATE_API_TOKEN is missing"],
    [{ REPLICATE_WEBHOOK_SIGNING_SECRET: "whsec_x" }, "REPLICATE_API_TOKEN is missing"],
  ])("refuses a half-set configuration %o, naming what is missing", (source, message) => {
    expect(() => parseServerEnv(source)).toThrow(EnvError);
    expect(() => parseServerEnv(source)).toThrow(message);
  });

  it.each([
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL_VERSION: "abc" }, "REPLICATE_MODEL_VERSION"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: "not a model" }, "REPLICATE_MODEL"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: "a/b", REPLICATE_MODEL_VERSION: DEFAULT_REPLICATE_VERSION }, "not both"],
    [{ APP_URL: "ftp://example.com" }, "APP_URL"],
    [{ NEXT_PUBLIC_SUPABASE_URL: "not a url", NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: "pk" }, "NEXT_PUBLIC_SUPABASE_URL"],
    [{ LOCAL_AUTH_SECRET: "short" }, "LOCAL_AUTH_SECRET"],
    [{ RATE_LIMIT_CONCURRENT: "0" }, "RATE_LIMIT_CONCURRENT"],
    [{ MAX_OUTPUT_BYTES: "lots" }, "MAX_OUTPUT_BYTES"],
  ])("rejects the invalid value in %o", (source, variable) => {
    expect(() => parseServerEnv(source)).toThrow(variable);
  });

  it("reads numeric limits from strings", () => {
    const env = parseServerEnv({ RATE_LIMIT_CREATES_PER_MINUTE: "3", RATE_LIMIT_CONCURRENT: "1", LOCAL_MODEL_DURATION_MS: "0" });
    expect(env.limits.createsPerMinute).toBe(3);
    expect(env.limits.concurrent).toBe(1);
    expect(env.model).toEqual({ kind: "local", durationMs: 0, dataDir: ".data" });
  });
});

describe("readProxyConfig", () => {
  it("finds no Supabase project in local mode", () => {
    expect(readProxyConfig({})).toEqual({ supabase: null });
  });

  it("reads the public Supabase values, accepting the older anon key name, and marks cookies Secure behind https", () => {
    expect(
      readProxyConfig({
        NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co",
        NEXT_PUBLIC_SUPABASE_ANON_KEY: "anon",
        APP_URL: "https://studio.example.com",
      }),
    ).toEqual({ supabase: { url: "https://abc.supabase.co", publishableKey: "anon", secureCookies: true }, appUrl: "https://studio.example.com" });
  });

  it("gives the proxy APP_URL for same-origin checks only when it is a valid http(s) URL", () => {
    expect(readProxyConfig({ APP_URL: " https://studio.example.com " }).appUrl).toBe("https://studio.example.com");
    expect(readProxyConfig({ APP_URL: "not a url" }).appUrl).toBeUndefined();
    expect(readProxyConfig({}).appUrl).toBeUndefined();
  });
});
