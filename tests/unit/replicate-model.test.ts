import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_REPLICATE_VERSION } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { createReplicateModel, type ReplicateConfig, type ReplicateModelOptions } from "@/lib/models/replicate";
import { generationInputSchema } from "@/lib/predictions/input-schema";
import { createReplicateApi, REPLICATE_API, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
let api: ReplicateApi;
let sleeps: number[];

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi();
  server.resetHandlers(...api.handlers);
  sleeps = [];
});

const input = generationInputSchema.parse({ prompt: "a lighthouse at dusk" });

function model(config: Partial<ReplicateConfig> = {}, options: ReplicateModelOptions = {}) {
  return createReplicateModel(
    { kind: "replicate", apiToken: TEST_TOKEN, version: DEFAULT_REPLICATE_VERSION, ...config },
    { sleep: async (ms) => void sleeps.push(ms), ...options },
  );
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("naming", () => {
  it("names the default version as stability-ai/sdxl and says Stable Diffusion XL", () => {
    expect(model()).toMatchObject({ id: "stability-ai/sdxl:2b017d9b67ed", displayName: "Stable Diffusion XL", isLocalPreview: false });
  });

  it("names another version by its short id and a model by owner/name", () => {
    expect(model({ version: "a".repeat(64) })).toMatchObject({ id: "replicate:aaaaaaaaaaaa", displayName: "Replicate model aaaaaaaaaaaa" });
    expect(model({ version: undefined, model: "bytedance/sdxl-lightning" })).toMatchObject({
      id: "bytedance/sdxl-lightning",
      displayName: "bytedance/sdxl-lightning",
    });
  });
});

describe("create", () => {
  it("sends SDXL's input by version, with the token, and only the fields that are set", async () => {
    const prediction = await model().create(input);
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`${REPLICATE_API}/predictions`);
    expect(request.headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.body).toEqual({
      version: DEFAULT_REPLICATE_VERSION,
      input: { prompt: "a lighthouse at dusk", width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5, num_outputs: 1 },
    });
    expect(prediction).toMatchObject({ status: "starting", model: "stability-ai/sdxl", output: null, error: null });
    expect(prediction.id).toMatch(/^[a-z0-9]{26}$/);
  });

  it("adds negative prompt, seed and a completed-only webhook when given", async () => {
    const full = generationInputSchema.parse({ prompt: "a fox", negative_prompt: "blurry", seed: 42, width: 832, height: 1216 });
    await model().create(full, { webhookUrl: "https://studio.example.com/api/webhooks/replicate" });
    expect(api.requests[0].body).toEqual({
      version: DEFAULT_REPLICATE_VERSION,
      input: { prompt: "a fox", negative_prompt: "blurry", width: 832, height: 1216, num_inference_steps: 30, guidance_scale: 7.5, seed: 42, num_outputs: 1 },
      webhook: "https://studio.example.com/api/webhooks/replicate",
      webhook_events_filter: ["completed"],
    });
  });

  it("runs by model at /models/owner/name/predictions without a version", async () => {
    const prediction = await model({ version: undefined, model: "stability-ai/sdxl" }).create(input);
    expect(api.requests[0].url).toBe(`${REPLICATE_API}/models/stability-ai/sdxl/predictions`);
    expect(api.requests[0].body).not.toHaveProperty("version");
    expect(prediction.version).toBe("hidden");
  });

  it("talks to REPLICATE_BASE_URL when one is set", async () => {
    api = createReplicateApi({ baseUrl: "http://replicate.internal:5000/v1" });
    server.resetHandlers(...api.handlers);
    await model({ baseUrl: "http://replicate.internal:5000/v1" }).create(input);
    expect(api.requests.map((r) => r.url)).toEqual(["http://replicate.internal:5000/v1/predictions"]);
  });

  it("asks for no caching on every request (Next caches fetch otherwise)", async () => {
    const inits: RequestInit[] = [];
    const recording: typeof fetch = (url, init) => {
      inits.push(init ?? {});
      return globalThis.fetch(url, init);
    };
    const created = await model({}, { fetch: recording }).create(input);
    await model({}, { fetch: recording }).get(created.id);
    expect(inits.map((init) => init.cache)).toEqual(["no-store", "no-store"]);
  });

  it.each([
    [500, "upstream_unavailable", 503],
    [429, "rate_limited", 429],
    ["network", "upstream_unavailable", 503],
  ] as const)("is never retried: one request on %s", async (failure, code, status) => {
    api.failNext("create", failure, 6);
    const error = await caught(model().create(input));
    expect(api.requests).toHaveLength(1);
    expect(error).toMatchObject({ code, status });
  });

  it("gives up with a readable 503 when Replicate does not answer in time", async () => {
    server.use(http.post(`${REPLICATE_API}/predictions`, async () => (await delay(2000), HttpResponse.json({}))));
    const error = await caught(model({}, { createTimeoutMs: 50 }).create(input));
    expect(error).toMatchObject({ code: "upstream_unavailable", status: 503, message: "Replicate did not answer in time. Try again in a moment." });
  });
});

describe("error mapping", () => {
  it("explains a rejected token", async () => {
    const error = await caught(model({ apiToken: "r8_wrong" }).create(input));
    expect(error).toMatchObject({ code: "upstream_error", status: 502, message: "The Replicate API token was rejected. Check REPLICATE_API_TOKEN." });
  });

  it("explains missing billing or credit", async () => {
    api.failNext("create", 402);
    const error = await caught(model().create(input));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/billing set up.*out of credit/);
  });

  it("passes Replicate's validation detail on as a 422 with field errors", async () => {
    api.failNext("create", 422);
    const error = await caught(model().create(input));
    expect(error).toMatchObject({
      code: "invalid_input",
      status: 422,
      message: "Replicate rejected the input: input.width: Must be less than or equal to 1536",
      fields: { width: ["Must be less than or equal to 1536"] },
    });
  });

  it("reads the wait from a throttled answer's detail", async () => {
    api.failNext("create", 429);
    const error = await caught(model().create(input));
    expect(error).toMatchObject({ code: "rate_limited", status: 429, retryAfter: 30 });
  });

  it("prefers the Retry-After header", async () => {
    api.failNext("create", { status: 429, headers: { "retry-after": "12" } });
    expect(await caught(model().create(input))).toMatchObject({ retryAfter: 12 });
  });

  it("says a network failure plainly", async () => {
    api.failNext("get", "network", 4);
    const error = await caught(model().get("abcdefghijklmnopqrstuvwxyz"));
    expect(error).toMatchObject({ status: 503, message: "Could not reach Replicate. Check the server's internet connection and try again." });
  });

  it("answers not_found for an unknown prediction on get and cancel", async () => {
    expect(await caught(model().get("unknownunknownunknown12345"))).toMatchObject({ code: "not_found", status: 404 });
    expect(await caught(model().cancel("unknownunknownunknown12345"))).toMatchObject({ code: "not_found", status: 404 });
  });

  it("refuses an id that is not Replicate's without asking", async () => {
    expect(await caught(model().get("../models/x"))).toMatchObject({ code: "not_found" });
    expect(api.requests).toHaveLength(0);
  });

  it("explains an unknown model version on create", async () => {
    api.failNext("create", 404);
    const error = await caught(model().create(input));
    expect(error).toMatchObject({ code: "upstream_error", status: 502 });
    expect(error.message).toContain("REPLICATE_MODEL_VERSION");
  });
});

describe("get and cancel", () => {
  it("follows the lifecycle to a succeeded prediction with a delivery URL", async () => {
    const m = model();
    const { id } = await m.create(input);
    const processing = await m.get(id);
    expect(processing.status).toBe("processing");
    expect(processing.logs).toContain("15/30");
    const done = await m.get(id);
    expect(done).toMatchObject({ status: "succeeded", output: [`https://replicate.delivery/xezq/${id}/out-0.png`], error: null });
    expect(done.completed_at).not.toBeNull();
  });

  it("retries a 500 with back-off, then succeeds", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", 500, 2);
    expect((await model().get(id)).status).toBe("succeeded");
    expect(api.requestsTo("get")).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0]);
  });

  it("retries a network failure", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", "network");
    expect((await model().get(id)).status).toBe("succeeded");
    expect(api.requestsTo("get")).toHaveLength(2);
  });

  it("honours Retry-After between attempts", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", { status: 429, headers: { "retry-after": "2" } });
    await model().get(id);
    expect(sleeps).toEqual([2000]);
  });

  it("does not wait past its budget: a 30 s throttle is passed on at once", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", 429);
    expect(await caught(model().get(id))).toMatchObject({ code: "rate_limited", retryAfter: 30 });
    expect(api.requestsTo("get")).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("stops after a few attempts", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", 503, 10);
    expect(await caught(model().get(id))).toMatchObject({ code: "upstream_unavailable", status: 503 });
    expect(api.requestsTo("get")).toHaveLength(4);
  });

  it("does not retry a 4xx", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", 402);
    await caught(model().get(id));
    expect(api.requestsTo("get")).toHaveLength(1);
  });

  it("cancels with POST /predictions/:id/cancel", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    const canceled = await model().cancel(id);
    expect(canceled.status).toBe("canceled");
    expect(api.requests.map((r) => [r.method, r.url])).toEqual([["POST", `${REPLICATE_API}/predictions/${id}/cancel`]]);
  });

  it("turns an error object into readable text", async () => {
    const { id } = api.addPrediction({ status: "failed", error: { detail: "NSFW content detected. Try a different prompt." } });
    server.use(http.get(`${REPLICATE_API}/predictions/${id}`, () => HttpResponse.json(api.predictions.get(id))));
    expect(await model().get(id)).toMatchObject({ status: "failed", error: "NSFW content detected. Try a different prompt." });
  });
});
