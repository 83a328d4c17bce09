import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createModelCatalog, createMemorySchemaStore, ALIAS_TTL_MS, type CatalogEntry, type SchemaStore } from "@/lib/models/model-catalog";
import { parseModelRef } from "@/lib/models/model-ref";
import { createReplicateModel } from "@/lib/models/replicate";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
let api: ReplicateApi;
let clock: number;
let store: SchemaStore;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
  server.resetHandlers(...api.handlers);
  clock = Date.parse("2026-12-02T10:00:00Z");
  store = createMemorySchemaStore();
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

const SCHNELL = "black-forest-labs/flux-schnell";
const SDXL_PINNED = `stability-ai/sdxl:${MODEL_FIXTURES["stability-ai/sdxl"].version}`;

function entries(...refs: string[]): CatalogEntry[] {
  return refs.map((key) => {
    const parsed = parseModelRef(key);
    if (!parsed.ok) throw new Error(parsed.message);
    return { key, ref: parsed.ref };
  });
}

function catalog(...refs: string[]) {
  const engine = createReplicateModel({ apiToken: TEST_TOKEN }, { retry: { attempts: 1 } });
  return createModelCatalog({ engine, entries: entries(...refs), store, now: () => clock });
}

const modelReads = () => api.requestsTo("model").length;

describe("the model catalog", () => {
  it("lists every configured model for the picker, the default first, each with its own fields", async () => {
    const options = await catalog(SCHNELL, SDXL_PINNED).list();
    expect(options.map((o) => [o.key, o.displayName, o.available])).toEqual([
      [SCHNELL, "FLUX.1 [schnell]", true],
      [SDXL_PINNED, "Stable Diffusion XL", true],
    ]);
    expect(options[0].fields.map((f) => f.name)).toContain("aspect_ratio");
    expect(options[1].fields.map((f) => f.name)).toContain("negative_prompt");
    expect(options[0].fields.map((f) => f.name)).not.toContain("negative_prompt");
  });

  it("resolves a key to what to run and what to record; no key means the default", async () => {
    const models = catalog(SCHNELL, SDXL_PINNED);
    expect(await models.resolve()).toMatchObject({
      key: SCHNELL,
      reference: `${SCHNELL}:${MODEL_FIXTURES[SCHNELL].version}`,
      target: { kind: "model", owner: "black-forest-labs", name: "flux-schnell" },
    });
    expect(await models.resolve(SDXL_PINNED)).toMatchObject({ target: { kind: "version", version: MODEL_FIXTURES["stability-ai/sdxl"].version } });
    await expect(models.resolve("acme/other")).rejects.toMatchObject({ code: "invalid_input", fields: { model: ["Choose one of the models offered."] } });
  });

  it("reads a pinned version's schema once, ever: it is kept, and a new process reads it from the store", async () => {
    await catalog(SDXL_PINNED).list();
    await catalog(SDXL_PINNED).list();
    expect(modelReads()).toBe(1);
  });

  it("looks an official model's newest version up again at most every five minutes", async () => {
    const models = catalog(SCHNELL);
    await models.list();
    clock += ALIAS_TTL_MS - 1;
    await models.resolve();
    expect(modelReads()).toBe(1);
    clock += 2;
    await models.resolve();
    expect(modelReads()).toBe(2);
  });

  it("shares one lookup between requests that arrive together", async () => {
    const models = catalog(SCHNELL);
    await Promise.all(Array.from({ length: 10 }, () => models.resolve()));
    expect(modelReads()).toBe(1);
  });

  it("keeps working from the kept schema when Replicate's model API is down", async () => {
    await catalog(SCHNELL, SDXL_PINNED).list();
    api.failNext("model", 503, 100);
    const restarted = catalog(SCHNELL, SDXL_PINNED);
    const options = await restarted.list();
    expect(options.every((o) => o.available)).toBe(true);
    expect((await restarted.resolve(SCHNELL)).reference).toBe(`${SCHNELL}:${MODEL_FIXTURES[SCHNELL].version}`);
  });

  it("carries on with what it had when a refresh fails", async () => {
    const models = catalog(SCHNELL);
    await models.list();
    clock += ALIAS_TTL_MS + 1;
    api.failNext("model", 503, 100);
    await expect(models.resolve()).resolves.toMatchObject({ key: SCHNELL });
  });

  it("shows a model whose schema cannot be had as unavailable, and the others keep working", async () => {
    api.failNext("model", 503, 1);
    const models = catalog(SCHNELL, SDXL_PINNED);
    const [flux, sdxl] = await models.list();
    expect(flux).toMatchObject({ available: false, unavailableReason: expect.stringMatching(/could not be loaded from Replicate/), fields: [] });
    expect(sdxl.available).toBe(true);
    await expect(models.resolve(SCHNELL)).rejects.toMatchObject({ code: "model_unavailable", status: 503 });
    await expect(models.resolve(SDXL_PINNED)).resolves.toMatchObject({ key: SDXL_PINNED });
  });

  it("names what the operator must fix: a community model named without a version", async () => {
    const models = catalog("bytedance/sdxl-lightning-4step", SCHNELL);
    expect(await models.configurationProblems()).toEqual([
      {
        key: "bytedance/sdxl-lightning-4step",
        fix: expect.stringContaining(`REPLICATE_MODEL=bytedance/sdxl-lightning-4step:${MODEL_FIXTURES["bytedance/sdxl-lightning-4step"].version}`),
      },
    ]);
    const [lightning] = await models.list();
    expect(lightning).toMatchObject({ available: false, unavailableReason: "This model is not available right now." });
  });

  it("does not count Replicate being unreachable as a configuration problem", async () => {
    api.failNext("model", "network", 100);
    expect(await catalog(SCHNELL).configurationProblems()).toEqual([]);
  });
});
