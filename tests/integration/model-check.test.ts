import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { checkConfiguredModels } from "@/lib/jobs/model-check";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, TEST_TOKEN } from "@/tests/msw/replicate-handlers";
import { startLocalApp, type LocalApp } from "@/tests/support/local-app";

/** What `next start` does first (instrumentation.ts): a model reference that can never work stops the server. */

const server = setupServer();
let app: LocalApp | undefined;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
afterEach(async () => {
  await app?.stop();
  app = undefined;
  vi.restoreAllMocks();
});

async function startWith(env: Record<string, string>, api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) })) {
  server.resetHandlers(...api.handlers);
  app = await startLocalApp({ REPLICATE_API_TOKEN: TEST_TOKEN, ...env });
  const exit = vi.fn();
  const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
  await checkConfiguredModels({ exit });
  return { exit, logged: errors.mock.calls.map((call) => call.join(" ")).join("\n"), api };
}

describe("checking the configured models at start", () => {
  it("stops on a community model named without a version, saying what to write", async () => {
    const { exit, logged } = await startWith({ REPLICATE_MODELS: "black-forest-labs/flux-schnell,bytedance/sdxl-lightning-4step" });
    expect(exit).toHaveBeenCalledWith(1);
    expect(logged).toContain(`REPLICATE_MODEL=bytedance/sdxl-lightning-4step:${MODEL_FIXTURES["bytedance/sdxl-lightning-4step"].version}`);
  });

  it("stops on a version Replicate does not know", async () => {
    const { exit, logged } = await startWith({ REPLICATE_MODEL: `stability-ai/sdxl:${"0".repeat(64)}` });
    expect(exit).toHaveBeenCalledWith(1);
    expect(logged).toMatch(/Check REPLICATE_MODEL/);
  });

  it("starts with models that work, and reads their schemas once for everyone after", async () => {
    const { exit, api } = await startWith({ REPLICATE_MODELS: `black-forest-labs/flux-schnell,stability-ai/sdxl:${MODEL_FIXTURES["stability-ai/sdxl"].version}` });
    expect(exit).not.toHaveBeenCalled();
    const reads = api.requestsTo("model").length;
    await app!.context.catalog.list();
    expect(api.requestsTo("model")).toHaveLength(reads);
  });

  // Waits out the real read back-off (about 3 s) before calling the model unavailable.
  it("does not stop when Replicate cannot be reached: the model is shown unavailable and asked again later", { timeout: 60_000 }, async () => {
    const api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
    api.failNext("model", "network", 100);
    const { exit } = await startWith({ REPLICATE_MODEL: "black-forest-labs/flux-schnell" }, api);
    expect(exit).not.toHaveBeenCalled();
    expect((await app!.context.catalog.list())[0]).toMatchObject({ available: false });
  });

  it("stops on a malformed reference, with the line to write", async () => {
    const exit = vi.fn();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const saved = process.env.REPLICATE_MODEL;
    const { resetServerEnvForTests } = await import("@/lib/env");
    Object.assign(process.env, { REPLICATE_API_TOKEN: TEST_TOKEN, REPLICATE_MODEL: "flux schnell" });
    resetServerEnvForTests();
    try {
      await checkConfiguredModels({ exit });
    } finally {
      delete process.env.REPLICATE_API_TOKEN;
      if (saved === undefined) delete process.env.REPLICATE_MODEL;
      else process.env.REPLICATE_MODEL = saved;
      resetServerEnvForTests();
    }
    expect(exit).toHaveBeenCalledWith(1);
    expect(errors.mock.calls.map((call) => String(call[0])).join("\n")).toContain('"flux schnell" is not a model reference: write "owner/name"');
  });
});
