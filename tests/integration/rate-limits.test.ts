import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp } from "@/tests/support/local-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST } = await import("@/app/api/replicate/route");

let app: LocalApp;
beforeAll(async () => {
  // A model that takes a minute keeps predictions running for the whole file.
  app = await startLocalApp({
    LOCAL_MODEL_DURATION_MS: "60000",
    RATE_LIMIT_CONCURRENT: "2",
    RATE_LIMIT_CREATES_PER_MINUTE: "3",
  });
});
afterAll(() => app.stop());

const create = () => POST(jsonRequest("/api/replicate", { input: { prompt: "a slow one" } }), params({}));

describe("per-person limits", () => {
  it("answers 429 with Retry-After once too many predictions are running, per person", async () => {
    app.actAs(await app.signUp("busy@example.com"));
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({
      error: { code: "rate_limited", message: "You already have 2 images generating. Wait for one to finish." },
    });

    app.actAs(await app.signUp("someone-else@example.com"));
    expect((await create()).status).toBe(201);
  });

  it("frees a slot when a prediction finished at the model while nobody was polling", async () => {
    const session = await app.signUp("tab-closer@example.com");
    app.actAs(session);
    const first = await (await create()).json();
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(429);

    // The tab was closed; the model finished (here: was canceled) on its own.
    await app.context.model.cancel(first.id);
    expect((await create()).status).toBe(201);
    const row = await app.context.backendFor(session.user).rows.getPrediction({ id: first.id, userId: session.user.id });
    expect(row?.status).toBe("canceled");
  });

  it("answers 429 past the number of starts allowed per minute, even when nothing is running", async () => {
    const session = await app.signUp("quick@example.com");
    app.actAs(session);
    for (let i = 0; i < 3; i++) {
      const { id } = await (await create()).json();
      await app.context.model.cancel(id);
    }
    const refused = await create();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect((await refused.json()).error.message).toBe("You can start 3 images a minute. Try again shortly.");
  });
});
