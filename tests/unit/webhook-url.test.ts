import { describe, expect, it } from "vitest";
import { parseServerEnv } from "@/lib/env";
import { webhookUrlFor } from "@/lib/predictions/webhook-url";

const env = (overrides: Record<string, string | undefined>) =>
  parseServerEnv({
    REPLICATE_API_TOKEN: "r8_token",
    REPLICATE_WEBHOOK_SIGNING_SECRET: "whsec_c2VjcmV0",
    APP_URL: "https://studio.example.com",
    ...overrides,
  });

describe("webhookUrlFor", () => {
  it("points Replicate at the webhook route of a public https APP_URL", () => {
    expect(webhookUrlFor(env({}))).toBe("https://studio.example.com/api/webhooks/replicate");
    expect(webhookUrlFor(env({ APP_URL: "https://studio.example.com/" }))).toBe("https://studio.example.com/api/webhooks/replicate");
    expect(webhookUrlFor(env({ APP_URL: "https://example.com/studio" }))).toBe("https://example.com/studio/api/webhooks/replicate");
  });

  it("uses REPLICATE_WEBHOOK_BASE_URL as given, loopback or http included (a tunnel, a test stand-in)", () => {
    expect(webhookUrlFor(env({ REPLICATE_WEBHOOK_BASE_URL: "http://127.0.0.1:4010", APP_URL: undefined }))).toBe("http://127.0.0.1:4010/api/webhooks/replicate");
    expect(webhookUrlFor(env({ REPLICATE_WEBHOOK_BASE_URL: "https://abc123.ngrok-free.app/" }))).toBe("https://abc123.ngrok-free.app/api/webhooks/replicate");
    expect(webhookUrlFor(env({ REPLICATE_WEBHOOK_BASE_URL: "http://127.0.0.1:4010", REPLICATE_WEBHOOK_SIGNING_SECRET: undefined }))).toBeUndefined();
  });

  it("sends none without a signing secret: an unverifiable webhook is useless", () => {
    expect(webhookUrlFor(env({ REPLICATE_WEBHOOK_SIGNING_SECRET: undefined }))).toBeUndefined();
  });

  it("sends none for the local model or without APP_URL", () => {
    expect(webhookUrlFor(parseServerEnv({ APP_URL: "https://studio.example.com" }))).toBeUndefined();
    expect(webhookUrlFor(env({ APP_URL: undefined }))).toBeUndefined();
  });

  it.each([
    "http://studio.example.com",
    "https://localhost:3000",
    "https://app.localhost",
    "https://127.0.0.1",
    "https://10.0.0.5",
    "https://172.20.1.1",
    "https://192.168.1.10",
    "https://169.254.169.254",
    "https://[::1]",
    "https://[fd00::1]",
    "https://[::ffff:127.0.0.1]",
    "https://studio.local",
    "https://studio",
  ])("sends none when Replicate cannot reach %s", (appUrl) => {
    expect(webhookUrlFor(env({ APP_URL: appUrl }))).toBeUndefined();
  });

  it("accepts public addresses", () => {
    expect(webhookUrlFor(env({ APP_URL: "https://203.0.113.7" }))).toBe("https://203.0.113.7/api/webhooks/replicate");
    expect(webhookUrlFor(env({ APP_URL: "https://172.32.0.1" }))).toBeDefined();
  });
});
