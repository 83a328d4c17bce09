import { describe, expect, it } from "vitest";
import { EnvError, parseServerEnv, readProxyConfig } from "@/lib/env";
import { DEFAULT_SDXL_VERSION as SDXL } from "@/lib/models/model-ref";

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
    expect(env.model).toMatchObject({
      kind: "replicate",
      apiToken: "r8_test",
      models: [{ kind: "version", owner: "stability-ai", name: "sdxl", version: SDXL }],
    });
    expect(env.backend.kind).toBe("local");
  });

  it("runs an official model by name when REPLICATE_MODEL is owner/name", () => {
    const env = parseServerEnv({ REPLICATE_API_TOKEN: "r8_test", REPLICATE_MODEL: "black-forest-labs/flux-schnell" });
    expect(env.model).toMatchObject({ models: [{ kind: "model", owner: "black-forest-labs", name: "flux-schnell" }] });
  });

  it.each([
    [{ REPLICATE_MODEL: `bytedance/sdxl-lightning-4step:${"5".repeat(64)}` }, [{ kind: "version", owner: "bytedance", name: "sdxl-lightning-4step", version: "5".repeat(64) }]],
    [{ REPLICATE_MODEL: "deployment:acme/sdxl-prod" }, [{ kind: "deployment", owner: "acme", name: "sdxl-prod" }]],
    [{ REPLICATE_MODEL_VERSION: SDXL }, [{ kind: "version", owner: "stability-ai", name: "sdxl", version: SDXL }]],
    [{ REPLICATE_MODEL: "acme/painter", REPLICATE_MODEL_VERSION: "a".repeat(64) }, [{ kind: "version", owner: "acme", name: "painter", version: "a".repeat(64) }]],
    [
      { REPLICATE_MODELS: `black-forest-labs/flux-schnell, stability-ai/sdxl:${SDXL},deployment:acme/x` },
      [
        { kind: "model", owner: "black-forest-labs", name: "flux-schnell" },
        { kind: "version", owner: "stability-ai", name: "sdxl", version: SDXL },
        { kind: "deployment", owner: "acme", name: "x" },
      ],
    ],
  ])("reads the model references in %o", (source, models) => {
    expect(parseServerEnv({ REPLICATE_API_TOKEN: "r8_test", ...source }).model).toMatchObject({ kind: "replicate", models });
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
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: "not a model" }, 'write "owner/name" for an official model'],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: "a/b:123" }, "is not a model reference"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: "f".repeat(64) }, `write "owner/name:${"f".repeat(64)}"`],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL_VERSION: "b".repeat(64) }, `REPLICATE_MODEL=owner/name:${"b".repeat(64)}`],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODEL: `a/b:${SDXL}`, REPLICATE_MODEL_VERSION: SDXL }, "can only pin an owner/name reference"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODELS: "a/b", REPLICATE_MODEL: "c/d" }, "not both"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODELS: "a/b, nope" }, "REPLICATE_MODELS"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODELS: " , " }, "name at least one model"],
    [{ REPLICATE_API_TOKEN: "t", REPLICATE_MODELS: "a/b,a/b" }, "same model twice"],
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
    expect(readProxyConfig({})).toEqual({ supabase: null, development: false });
  });

  it("reads the public Supabase values, accepting the older anon key name, and marks cookies Secure behind https", () => {
    expect(
      readProxyConfig({
        NEXT_PUBLIC_SUPABASE_URL: "https://abc.supabase.co",
        NEXT_PUBLIC_SUPABASE_ANON_KEY: "anon",
        APP_URL: "https://studio.example.com",
      }),
    ).toEqual({
      supabase: { url: "https://abc.supabase.co", publishableKey: "anon", secureCookies: true },
      appUrl: "https://studio.example.com",
      development: false,
    });
  });

  it("tells the proxy when it runs under next dev, for the page policy", () => {
    expect(readProxyConfig({ NODE_ENV: "development" }).development).toBe(true);
    expect(readProxyConfig({ NODE_ENV: "production" }).development).toBe(false);
  });

  it("gives the proxy APP_URL for same-origin checks only when it is a valid http(s) URL", () => {
    expect(readProxyConfig({ APP_URL: " https://studio.example.com " }).appUrl).toBe("https://studio.example.com");
    expect(readProxyConfig({ APP_URL: "not a url" }).appUrl).toBeUndefined();
    expect(readProxyConfig({}).appUrl).toBeUndefined();
  });
});
