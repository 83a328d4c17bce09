import { setupServer } from "msw/node";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { defaultInput, type InputValues, type ModelOption } from "@/lib/models/input-fields";
import type { PredictionView } from "@/lib/predictions/types";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";
import { passTime } from "@/tests/support/clock";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

/*
 * Every fixture model, configured together, driven through the route handlers
 * the page uses, against the strict Replicate emulator (Replicate's own input
 * rules, each model's real output format and size). What a person gets from
 * the form's defaults must be accepted as is, and exactly that is sent.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: create } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");

const pinned = (ref: string) => `${ref}:${MODEL_FIXTURES[ref].version}`;
/** How a developer would name each: official models by name, community ones pinned. */
const KEYS = [
  "black-forest-labs/flux-schnell",
  pinned("stability-ai/sdxl"),
  "black-forest-labs/flux-dev",
  "black-forest-labs/flux-1.1-pro",
  "stability-ai/stable-diffusion-3.5-large",
  pinned("bytedance/sdxl-lightning-4step"),
];

const server = setupServer();
let api: ReplicateApi;
let app: LocalApp;
let alice: TestSession;
let options: ModelOption[];

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES), scale: 1 / 8 });
  server.resetHandlers(...api.handlers);
  app = await startLocalApp({
    REPLICATE_API_TOKEN: TEST_TOKEN,
    REPLICATE_MODELS: KEYS.join(","),
    RATE_LIMIT_CONCURRENT: "50",
    RATE_LIMIT_CREATES_PER_MINUTE: "100",
  });
  alice = await app.signUp("alice@example.com");
  options = await app.context.catalog.list();
});
afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await app.stop();
  server.close();
});
beforeEach(() => app.actAs(alice));

async function start(model: string, input: Record<string, unknown>) {
  return create(jsonRequest("/api/replicate", { model, input }), params({}));
}

async function finished(id: string): Promise<PredictionView> {
  for (let i = 0; i < 5; i++) {
    // Each poll a read interval after the last, so each one reads the model.
    passTime(5_000);
    const view = (await (await poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }))).json()) as PredictionView;
    if (view.status !== "starting" && view.status !== "processing" && (view.status !== "succeeded" || view.images.length === view.expectedImages)) return view;
  }
  throw new Error(`${id} did not finish`);
}

const lastCreate = () => api.requestsTo("create").at(-1)!;

describe("any Replicate image model, from its own schema", () => {
  it("offers every configured model in the picker, in the configured order", () => {
    expect(options.map((o) => [o.key, o.available])).toEqual(KEYS.map((key) => [key, true]));
  });

  it.each(KEYS)("%s: the form's defaults are accepted, exactly they are sent, and the images saved are real", async (key) => {
    const option = options.find((o) => o.key === key)!;
    const input: InputValues = { ...defaultInput(option.fields), prompt: "a lighthouse on a basalt cliff at dusk" };
    const response = await start(key, input);
    expect(response.status).toBe(201);
    const created = (await response.json()) as PredictionView;

    const sent = lastCreate();
    expect((sent.body as { input: unknown }).input).toEqual(input);
    const declared = Object.keys((MODEL_FIXTURES[key.split(":")[0]].model.latest_version!.openapi_schema as never)["components"]["schemas"]["Input"]["properties"]);
    expect(Object.keys(input).every((name) => declared.includes(name))).toBe(true);
    expect(created).toMatchObject({ modelKey: key, modelName: option.displayName, input, images: [] });

    const view = await finished(created.id);
    expect(view.status).toBe("succeeded");
    expect(view.images).toHaveLength(view.expectedImages);
    const fixture = MODEL_FIXTURES[key.split(":")[0]];
    const row = await app.context.serviceBackend().rows.getPrediction({ id: created.id, userId: alice.user.id });
    expect(row).toMatchObject({ model: `${fixture.ref}:${fixture.version}`, model_name: option.displayName, model_key: key, input });
    for (const image of view.images) {
      const bytes = Buffer.from(await (await app.openDisplayUrl(image.url)).arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe(fixture.outputFormat === "jpg" ? "jpeg" : fixture.outputFormat);
      expect([meta.width, meta.height]).toEqual([image.width, image.height]);
    }
  });

  it("sends flux-schnell's own inputs, not SDXL's, and records the size the model made", async () => {
    const response = await start("black-forest-labs/flux-schnell", { prompt: "a fox", aspect_ratio: "16:9", num_outputs: 2 });
    const { id } = (await response.json()) as PredictionView;
    expect((lastCreate().body as { input: unknown }).input).toEqual({ prompt: "a fox", aspect_ratio: "16:9", num_outputs: 2 });
    const view = await finished(id);
    // scale 1/8 in this emulator: 1344×768 drawn at 168×96, and the real header is what is recorded.
    expect(view.images.map((image) => [image.index, image.width, image.height])).toEqual([
      [0, 168, 96],
      [1, 168, 96],
    ]);
    expect(view.seed).toEqual(expect.any(Number));
  });

  it("estimates progress for a model whose logs show none (flux-1.1-pro), and says it is an estimate", async () => {
    const { id } = (await (await start("black-forest-labs/flux-1.1-pro", { prompt: "a fox" })).json()) as PredictionView;
    const running = (await (await poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }))).json()) as PredictionView;
    expect(running.status).toBe("processing");
    expect(running.progressIsEstimate).toBe(true);
    expect(running.progress).toBeGreaterThanOrEqual(0);
    expect(running.progress).toBeLessThan(0.99);
    // A model that prints a progress bar is read, not estimated.
    const { id: flux } = (await (await start("black-forest-labs/flux-schnell", { prompt: "a fox" })).json()) as PredictionView;
    const measured = (await (await poll(new Request(`http://localhost:3000/api/replicate/${flux}`), params({ id: flux }))).json()) as PredictionView;
    expect(measured).toMatchObject({ status: "processing", progressIsEstimate: false });
  });

  it("uses flux-dev's guidance (its input is `guidance`), so what the person set is what runs", async () => {
    await start("black-forest-labs/flux-dev", { prompt: "a fox", guidance: 4.5 });
    expect((lastCreate().body as { input: Record<string, unknown> }).input.guidance).toBe(4.5);
  });

  it.each([
    ["black-forest-labs/flux-schnell", { prompt: "a fox", num_inference_steps: 30 }, { num_inference_steps: ["Num Inference Steps must be at most 4."] }],
    ["black-forest-labs/flux-schnell", { prompt: "a fox", guidance_scale: 7.5 }, { guidance_scale: ["Unknown field: guidance_scale."] }],
    ["black-forest-labs/flux-1.1-pro", { prompt: "a fox", safety_tolerance: 9 }, { safety_tolerance: ["Safety Tolerance must be at most 6."] }],
    [pinned("stability-ai/sdxl"), { prompt: "a fox", scheduler: "FAST" }, { scheduler: [expect.stringMatching(/^Scheduler must be one of: DDIM, /)] }],
    [pinned("stability-ai/sdxl"), { prompt: "a fox", disable_safety_checker: true }, { disable_safety_checker: ["disable_safety_checker cannot be set in this app."] }],
  ])("%s: refuses %o with 422 field errors before any Replicate call", async (key, input, fields) => {
    const creates = api.requestsTo("create").length;
    const response = await start(key, input);
    expect(response.status).toBe(422);
    expect((await response.json()).error).toMatchObject({ code: "invalid_input", fields });
    expect(api.requestsTo("create")).toHaveLength(creates);
  });

  it("refuses a model the app was not configured with", async () => {
    const response = await start("acme/anything", { prompt: "a fox" });
    expect(response.status).toBe(422);
    expect((await response.json()).error.fields).toEqual({ model: ["Choose one of the models offered."] });
  });

  it("puts Replicate's own 422 on the person's field", async () => {
    api.failNext("create", {
      status: 422,
      body: {
        title: "Input validation failed",
        detail: "- input.output_quality: Must be less than or equal to 90\n",
        status: 422,
        invalid_fields: [{ type: "number_lte", field: "input.output_quality", description: "Must be less than or equal to 90" }],
      },
    });
    const response = await start("black-forest-labs/flux-schnell", { prompt: "a fox", output_quality: 95 });
    expect(response.status).toBe(422);
    expect((await response.json()).error.fields).toEqual({ output_quality: ["Must be less than or equal to 90"] });
  });

  it("tells the person a misconfigured model is not available, never that their input is wrong", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    api.failNext("create", { status: 422, body: { title: "Invalid version or not permitted", detail: "The specified version does not exist (or perhaps you don't have permission to use it?)", status: 422 } });
    const response = await start(pinned("stability-ai/sdxl"), { prompt: "a fox" });
    expect(response.status).toBe(503);
    expect((await response.json()).error).toEqual({ code: "model_unavailable", message: "This model is not available right now." });
    vi.restoreAllMocks();
  });
});
