import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resetServerEnvForTests } from "@/lib/env";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

/**
 * Cookies ride along on requests other sites make (a form posted from
 * evil.example, or from a sibling subdomain on the same site), so every route
 * handler that changes something must refuse browsers' cross-origin requests
 * and bodies a plain HTML form can send. Server-to-server endpoints (the
 * Replicate webhook, reconcile) carry their own credentials instead.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => new Headers() }));

const { POST: create } = await import("@/app/api/replicate/route");
const { POST: cancel } = await import("@/app/api/replicate/[id]/cancel/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");

let app: LocalApp;
let alice: TestSession;
beforeAll(async () => {
  // A minute-long model keeps predictions running for the whole file.
  app = await startLocalApp({ LOCAL_MODEL_DURATION_MS: "60000", RATE_LIMIT_CONCURRENT: "100", RATE_LIMIT_CREATES_PER_MINUTE: "100" });
  alice = await app.signUp("alice@example.com");
});
afterAll(() => app.stop());
beforeEach(() => {
  app.actAs(alice);
  delete process.env.APP_URL;
  resetServerEnvForTests();
});

const APP = "http://localhost:3000";

async function running(): Promise<string> {
  const response = await create(jsonRequest("/api/replicate", { input: { prompt: "a running one" } }, { headers: { "content-type": "application/json", origin: APP } }), params({}));
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

function cancelRequest(id: string, headers: Record<string, string>, body?: string) {
  return cancel(new Request(`${APP}/api/replicate/${id}/cancel`, { method: "POST", headers, body }), params({ id }));
}

async function statusOf(id: string): Promise<string> {
  return (await (await poll(new Request(`${APP}/api/replicate/${id}`), params({ id }))).json()).status;
}

describe("state-changing route handlers refuse cross-origin browsers", () => {
  it.each([
    ["a text/plain form from another site", { origin: "https://evil.example", "sec-fetch-site": "cross-site", "content-type": "text/plain" }, "x=1"],
    ["a text/plain form from a sibling subdomain (same site)", { origin: "http://evil.localhost:3000", "sec-fetch-site": "same-site", "content-type": "text/plain" }, "x=1"],
    ["a fetch from another origin, no body", { origin: "https://evil.example" }, undefined],
    ["a sandboxed frame (Origin: null)", { origin: "null" }, undefined],
    ["only Sec-Fetch-Site saying cross-site", { "sec-fetch-site": "cross-site" }, undefined],
  ])("cancel: %s is a 403 and cancels nothing", async (_label, headers, body) => {
    const id = await running();
    const response = await cancelRequest(id, headers, body);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: "forbidden", message: expect.any(String) } });
    expect(await statusOf(id)).not.toBe("canceled");
  });

  it.each([
    ["text/plain", "text/plain"],
    ["a urlencoded form", "application/x-www-form-urlencoded"],
    ["multipart", "multipart/form-data; boundary=x"],
  ])("cancel: a same-origin %s body is a 415: only JSON bodies are taken", async (_label, contentType) => {
    const id = await running();
    const response = await cancelRequest(id, { origin: APP, "sec-fetch-site": "same-origin", "content-type": contentType }, "x");
    expect(response.status).toBe(415);
    expect((await response.json()).error.code).toBe("unsupported_media_type");
    expect(await statusOf(id)).not.toBe("canceled");
  });

  it("create: refuses a JSON body sent from another origin", async () => {
    const response = await create(
      jsonRequest("/api/replicate", { input: { prompt: "from elsewhere" } }, { headers: { "content-type": "application/json", origin: "https://evil.example" } }),
      params({}),
    );
    expect(response.status).toBe(403);
  });

  it.each([
    ["the page itself", { origin: APP, "sec-fetch-site": "same-origin" }],
    ["a client that sends neither header (curl, scripts)", {}],
    ["a proxy that rewrote Host but set X-Forwarded-Host", { origin: "https://studio.example", "x-forwarded-host": "studio.example", host: "127.0.0.1:3000" }],
  ])("cancel: %s is served", async (_label, headers) => {
    const id = await running();
    const response = await cancelRequest(id, headers);
    expect(response.status).toBe(200);
    expect((await response.json()).status).toBe("canceled");
  });

  it("with APP_URL set, only that origin is the app's own", async () => {
    process.env.APP_URL = "https://studio.example";
    resetServerEnvForTests();
    const id = await running().catch(() => "");
    expect(id).toBe("");
    const refused = await create(jsonRequest("/api/replicate", { input: { prompt: "p" } }, { headers: { "content-type": "application/json", origin: APP } }), params({}));
    expect(refused.status).toBe(403);
    const served = await create(
      jsonRequest("/api/replicate", { input: { prompt: "p" } }, { headers: { "content-type": "application/json", origin: "https://studio.example" } }),
      params({}),
    );
    expect(served.status).toBe(201);
  });
});
