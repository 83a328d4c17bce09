import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import type { RunTarget } from "@/lib/models/image-model";
import { DEFAULT_SDXL_VERSION } from "@/lib/models/model-ref";
import { createReplicateModel, type ReplicateConfig, type ReplicateModelOptions } from "@/lib/models/replicate";
import { configurationProblemOf } from "@/lib/models/replicate-errors";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, REPLICATE_API, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
let api: ReplicateApi;
let sleeps: number[];

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
afterEach(() => vi.restoreAllMocks());
beforeEach(() => {
  api = createReplicateApi();
  server.resetHandlers(...api.handlers);
  sleeps = [];
});

const SDXL: RunTarget = { kind: "version", version: DEFAULT_SDXL_VERSION };
const input = { prompt: "a lighthouse at dusk", width: 1024, height: 1024 };
const run = (values: Record<string, string | number | boolean> = input, target: RunTarget = SDXL, webhookUrl?: string) => ({
  target,
  input: values,
  webhookUrl,
});

function model(config: Partial<ReplicateConfig> = {}, options: ReplicateModelOptions = {}) {
  return createReplicateModel({ apiToken: TEST_TOKEN, ...config }, { sleep: async (ms) => void sleeps.push(ms), ...options });
}

/** The emulator serving the fixture models with Replicate's own input rules. */
function useStrictApi(deployments: Record<string, (typeof MODEL_FIXTURES)[string]> = {}) {
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES), deployments, scale: 1 / 16 });
  server.resetHandlers(...api.handlers);
}

async function caught(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("describe: a model's schema, read from Replicate", () => {
  beforeEach(() => useStrictApi({ "acme/flux-prod": MODEL_FIXTURES["black-forest-labs/flux-schnell"] }));

  it("reads a pinned version from /models/{owner}/{name}/versions/{id}", async () => {
    const described = await model().describe({ kind: "version", owner: "stability-ai", name: "sdxl", version: DEFAULT_SDXL_VERSION });
    expect(api.requests.map((r) => [r.method, r.url])).toEqual([["GET", `${REPLICATE_API}/models/stability-ai/sdxl/versions/${DEFAULT_SDXL_VERSION}`]]);
    expect(described).toMatchObject({ model: "stability-ai/sdxl", version: DEFAULT_SDXL_VERSION });
    expect(described.openapiSchema).toHaveProperty("components.schemas.Input");
  });

  it("reads an official model's newest version from /models/{owner}/{name}", async () => {
    const described = await model().describe({ kind: "model", owner: "black-forest-labs", name: "flux-schnell" });
    expect(api.requests.map((r) => r.url)).toEqual([`${REPLICATE_API}/models/black-forest-labs/flux-schnell`]);
    expect(described).toEqual({
      model: "black-forest-labs/flux-schnell",
      version: MODEL_FIXTURES["black-forest-labs/flux-schnell"].version,
      openapiSchema: MODEL_FIXTURES["black-forest-labs/flux-schnell"].model.latest_version!.openapi_schema,
    });
  });

  it("reads a deployment's current release, then that version's schema", async () => {
    const described = await model().describe({ kind: "deployment", owner: "acme", name: "flux-prod" });
    expect(api.requests.map((r) => r.url)).toEqual([
      `${REPLICATE_API}/deployments/acme/flux-prod`,
      `${REPLICATE_API}/models/black-forest-labs/flux-schnell/versions/${MODEL_FIXTURES["black-forest-labs/flux-schnell"].version}`,
    ]);
    expect(described.model).toBe("black-forest-labs/flux-schnell");
  });

  it("calls a community model named without a version a configuration error that says what to write", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const error = await caught(model().describe({ kind: "model", owner: "bytedance", name: "sdxl-lightning-4step" }));
    expect(error).toMatchObject({ code: "model_unavailable", status: 503, message: "This model is not available right now." });
    expect(configurationProblemOf(error)).toContain(
      `REPLICATE_MODEL=bytedance/sdxl-lightning-4step:${MODEL_FIXTURES["bytedance/sdxl-lightning-4step"].version}`,
    );
  });

  it("calls an unknown model or version the operator's configuration, never the person's input", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const unknownModel = await caught(model().describe({ kind: "model", owner: "nobody", name: "nothing" }));
    const unknownVersion = await caught(model().describe({ kind: "version", owner: "stability-ai", name: "sdxl", version: "0".repeat(64) }));
    for (const error of [unknownModel, unknownVersion]) {
      expect(error).toMatchObject({ code: "model_unavailable", message: "This model is not available right now." });
      expect(configurationProblemOf(error)).toMatch(/Check REPLICATE_MODEL/);
    }
  });
});

describe("create", () => {
  it("sends exactly the given input by version, with the token", async () => {
    const prediction = await model().create(run());
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`${REPLICATE_API}/predictions`);
    expect(request.headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.body).toEqual({ version: DEFAULT_SDXL_VERSION, input });
    expect(prediction).toMatchObject({ status: "starting", output: null, error: null });
    expect(prediction.id).toMatch(/^[a-z0-9]{26}$/);
  });

  it("adds a completed-only webhook when given", async () => {
    await model().create(run(input, SDXL, "https://studio.example.com/api/webhooks/replicate"));
    expect(api.requests[0].body).toEqual({
      version: DEFAULT_SDXL_VERSION,
      input,
      webhook: "https://studio.example.com/api/webhooks/replicate",
      webhook_events_filter: ["start", "logs", "completed"],
    });
  });

  it("runs an official model at /models/owner/name/predictions without a version", async () => {
    const prediction = await model().create(run(input, { kind: "model", owner: "stability-ai", name: "sdxl" }));
    expect(api.requests[0].url).toBe(`${REPLICATE_API}/models/stability-ai/sdxl/predictions`);
    expect(api.requests[0].body).not.toHaveProperty("version");
    expect(prediction.version).toBe("hidden");
  });

  it("runs a deployment at /deployments/owner/name/predictions", async () => {
    useStrictApi({ "acme/flux-prod": MODEL_FIXTURES["black-forest-labs/flux-schnell"] });
    await model().create(run({ prompt: "a fox" }, { kind: "deployment", owner: "acme", name: "flux-prod" }));
    expect(api.requests.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", `${REPLICATE_API}/deployments/acme/flux-prod/predictions`, { input: { prompt: "a fox" } }],
    ]);
  });

  it("talks to REPLICATE_BASE_URL when one is set", async () => {
    api = createReplicateApi({ baseUrl: "http://replicate.internal:5000/v1" });
    server.resetHandlers(...api.handlers);
    await model({ baseUrl: "http://replicate.internal:5000/v1" }).create(run());
    expect(api.requests.map((r) => r.url)).toEqual(["http://replicate.internal:5000/v1/predictions"]);
  });

  it("asks for no caching on every request (Next caches fetch otherwise)", async () => {
    const inits: RequestInit[] = [];
    const recording: typeof fetch = (url, init) => {
      inits.push(init ?? {});
      return globalThis.fetch(url, init);
    };
    const created = await model({}, { fetch: recording }).create(run());
    await model({}, { fetch: recording }).get(created.id);
    expect(inits.map((init) => init.cache)).toEqual(["no-store", "no-store"]);
  });

  it.each([
    [500, "upstream_unavailable", 503],
    [429, "rate_limited", 429],
    ["network", "upstream_unavailable", 503],
  ] as const)("is not re-sent after %s (a 429 with a long wait included): one request", async (failure, code, status) => {
    api.failNext("create", failure, 6);
    const error = await caught(model().create(run()));
    expect(api.requests).toHaveLength(1);
    expect(error).toMatchObject({ code, status });
  });

  // Replicate refuses a throttled request before starting anything, so waiting it out bills nothing twice.
  const shortThrottle = { status: 429, headers: { "retry-after": "1" }, body: { detail: "Request was throttled. Your rate limit resets in ~1s." } };

  it("waits out a short 429 and sends the create again, so a burst does not reach the person", async () => {
    api.failNext("create", shortThrottle);
    const created = await model().create(run());
    expect(api.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
    expect(sleeps).toEqual([1000]);
    expect(created.status).toBe("starting");
  });

  it("gives the person the 429 once the create has waited as often as it may", async () => {
    api.failNext("create", shortThrottle, 6);
    const error = await caught(model().create(run()));
    expect(api.requests).toHaveLength(3);
    expect(sleeps).toEqual([1000, 1000]);
    expect(error).toMatchObject({ code: "rate_limited", status: 429, retryAfter: 1 });
  });

  it("does not guess at a 429 that says nothing of how long to wait", async () => {
    api.failNext("create", { status: 429, body: { detail: "Request was throttled." } });
    const error = await caught(model().create(run()));
    expect(api.requests).toHaveLength(1);
    expect(error).toMatchObject({ code: "rate_limited", status: 429 });
  });

  it("gives up with a readable 503 when Replicate does not answer in time", async () => {
    server.use(http.post(`${REPLICATE_API}/predictions`, async () => (await delay(2000), HttpResponse.json({}))));
    const error = await caught(model({}, { createTimeoutMs: 50 }).create(run()));
    expect(error).toMatchObject({ code: "upstream_unavailable", status: 503, message: "Replicate did not answer in time. Try again in a moment." });
  });
});

describe("error mapping", () => {
  it("explains a rejected token", async () => {
    const error = await caught(model({ apiToken: "r8_wrong" }).create(run()));
    expect(error).toMatchObject({ code: "upstream_error", status: 502, message: "The Replicate API token was rejected. Check REPLICATE_API_TOKEN." });
  });

  it("explains missing billing or credit", async () => {
    api.failNext("create", 402);
    const error = await caught(model().create(run()));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/billing set up.*out of credit/);
  });

  it("puts Replicate's invalid_fields on the person's fields as a 422", async () => {
    useStrictApi();
    const flux: RunTarget = { kind: "model", owner: "black-forest-labs", name: "flux-schnell" };
    const error = await caught(model().create(run({ prompt: "a fox", num_inference_steps: 30 }, flux)));
    expect(error).toMatchObject({
      code: "invalid_input",
      status: 422,
      fields: { num_inference_steps: ["Must be less than or equal to 4"] },
    });
    expect(error.message).toBe("Replicate rejected the input: input.num_inference_steps: Must be less than or equal to 4");
  });

  it("calls an unknown version on create the operator's configuration: the person sees the model is unavailable", async () => {
    useStrictApi();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const error = await caught(model().create(run(input, { kind: "version", version: "9".repeat(64) })));
    expect(error).toMatchObject({ code: "model_unavailable", status: 503, message: "This model is not available right now." });
    expect(error.fields).toBeUndefined();
    expect(String(errors.mock.calls[0][0])).toContain("Invalid version or not permitted");
  });

  it("reads the wait from a throttled answer's detail", async () => {
    api.failNext("create", 429);
    const error = await caught(model().create(run()));
    expect(error).toMatchObject({ code: "rate_limited", status: 429, retryAfter: 30 });
  });

  it("prefers the Retry-After header", async () => {
    api.failNext("create", { status: 429, headers: { "retry-after": "12" } });
    expect(await caught(model().create(run()))).toMatchObject({ retryAfter: 12 });
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

  it("calls a 404 on create the operator's configuration", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    api.failNext("create", 404);
    const error = await caught(model().create(run()));
    expect(error).toMatchObject({ code: "model_unavailable", status: 503 });
    expect(configurationProblemOf(error)).toContain(`version ${DEFAULT_SDXL_VERSION}`);
  });
});

describe("get and cancel", () => {
  it("follows the lifecycle to a succeeded prediction with a delivery URL", async () => {
    const m = model();
    const { id } = await m.create(run());
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

  it("passes even a short throttle on at once when asked not to wait it out (a poll reading for everyone)", async () => {
    const { id } = api.addPrediction({ status: "processing" });
    api.failNext("get", { status: 429, headers: { "retry-after": "2" } });
    expect(await caught(model().get(id, { waitOutThrottle: false }))).toMatchObject({ code: "rate_limited", retryAfter: 2 });
    expect(api.requestsTo("get")).toHaveLength(1);
    expect(sleeps).toEqual([]);
    // Other failures are still retried: only the throttle's wait is the caller's to handle.
    api.failNext("get", 500);
    expect((await model().get(id, { waitOutThrottle: false })).status).toBe("succeeded");
    expect(api.requestsTo("get")).toHaveLength(3);
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
