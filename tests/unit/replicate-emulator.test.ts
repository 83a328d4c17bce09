import { setupServer } from "msw/node";
import Replicate from "replicate";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { inputSchemaOf, MODEL_FIXTURES, SDXL_DEFAULT_VERSION, type ModelFixture } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, REPLICATE_API, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";
import { COMMUNITY_MODEL_BY_NAME, INVALID_VERSION, MODEL_NOT_FOUND, validateLikeReplicate } from "@/tests/support/replicate-rules.mjs";

type Property = { type?: string; default?: unknown; minimum?: number; maximum?: number; allOf?: Array<{ $ref: string }> };

const FIXTURES = Object.values(MODEL_FIXTURES);
const server = setupServer();
let api: ReplicateApi;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function start(options: Parameters<typeof createReplicateApi>[0] = {}) {
  api = createReplicateApi({ models: FIXTURES, ...options });
  server.use(...api.handlers);
  return new Replicate({ auth: TEST_TOKEN, baseUrl: REPLICATE_API });
}

const propertiesOf = (fixture: ModelFixture) => inputSchemaOf(fixture).properties as Record<string, Property>;

/** Every declared default, plus a prompt. */
function defaultsOf(fixture: ModelFixture): Record<string, unknown> {
  const input: Record<string, unknown> = { prompt: "a lighthouse at dusk" };
  for (const [name, property] of Object.entries(propertiesOf(fixture))) if (property.default !== undefined && name !== "prompt") input[name] = property.default;
  return input;
}

const post = (path: string, body: unknown) =>
  fetch(`${REPLICATE_API}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Creates through the endpoint Replicate accepts for this model: by name if official, else by version. */
const create = (fixture: ModelFixture, input: unknown) =>
  fixture.official ? post(`/models/${fixture.ref}/predictions`, { input }) : post("/predictions", { version: fixture.version, input });

/** The first numeric input with a maximum (and one with a minimum above zero, for the lower bound). */
function boundedField(fixture: ModelFixture, bound: "maximum" | "minimum") {
  const entry = Object.entries(propertiesOf(fixture)).find(([, p]) => typeof p[bound] === "number" && (p.type === "integer" || p.type === "number") && (bound === "maximum" || p.minimum! > 0));
  if (!entry) throw new Error(`${fixture.ref} has no ${bound}`);
  return { name: entry[0], property: entry[1] };
}

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  png: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  webp: (b) => b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
  jpg: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
};
const SHARP_FORMAT: Record<string, string> = { png: "png", webp: "webp", jpg: "jpeg" };

async function runToEnd(replicate: Replicate, id: string) {
  let prediction = await replicate.predictions.get(id);
  while (prediction.status !== "succeeded") prediction = await replicate.predictions.get(id);
  return prediction;
}

describe.each(FIXTURES.map((fixture) => [fixture.ref, fixture] as const))("%s", (_ref, fixture) => {
  it("accepts a create with the schema defaults and a prompt, storing only declared inputs", async () => {
    start();
    const response = await create(fixture, { ...defaultsOf(fixture), not_an_input: 7 });
    expect(response.status).toBe(201);
    const prediction = await response.json();
    expect(prediction.input).toEqual(defaultsOf(fixture));
    expect(prediction.model).toBe(fixture.ref);
  });

  it("refuses a value over the maximum with number_lte", async () => {
    start();
    const { name, property } = boundedField(fixture, "maximum");
    const response = await create(fixture, { prompt: "x", [name]: property.maximum! + 1 });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      title: "Input validation failed",
      detail: `- input.${name}: Must be less than or equal to ${property.maximum}\n`,
      status: 422,
      invalid_fields: [{ type: "number_lte", field: `input.${name}`, description: `Must be less than or equal to ${property.maximum}` }],
    });
    expect(api.predictions.size).toBe(0);
  });

  it("refuses a value under the minimum with number_gte", async () => {
    start();
    const { name, property } = boundedField(fixture, "minimum");
    const response = await create(fixture, { prompt: "x", [name]: property.minimum! - 1 });
    expect(response.status).toBe(422);
    expect((await response.json()).invalid_fields).toEqual([
      { type: "number_gte", field: `input.${name}`, description: `Must be greater than or equal to ${property.minimum}` },
    ]);
  });

  it("refuses a value of the wrong type with invalid_type", async () => {
    start();
    const [name] = Object.entries(propertiesOf(fixture)).find(([, p]) => p.type === "integer")!;
    const response = await create(fixture, { prompt: "x", [name]: "4" });
    expect(response.status).toBe(422);
    expect((await response.json()).invalid_fields).toEqual([
      { type: "invalid_type", field: `input.${name}`, description: "Invalid type. Expected: integer, given: string" },
    ]);
  });

  it("refuses an unknown enum value, resolving the enum through allOf/$ref", async () => {
    start();
    const [name, property] = Object.entries(propertiesOf(fixture)).find(([, p]) => p.allOf)!;
    const enumName = property.allOf![0].$ref.split("/").pop()!;
    const values = (fixture.model.latest_version!.openapi_schema as { components: { schemas: Record<string, { enum: string[] }> } }).components.schemas[enumName].enum;
    const response = await create(fixture, { prompt: "x", [name]: "not-a-choice" });
    expect(response.status).toBe(422);
    expect((await response.json()).invalid_fields).toEqual([
      { type: "enum", field: `input.${name}`, description: `input.${name} must be one of the following: ${values.map((v) => JSON.stringify(v)).join(", ")}` },
      { type: "number_all_of", field: `input.${name}`, description: "Must validate all the schemas (allOf)" },
    ]);
  });

  it("returns outputs of the right count and real image bytes of the right format and size", async () => {
    const replicate = start({ scale: 1 / 16 });
    const properties = propertiesOf(fixture);
    const input: Record<string, unknown> = { prompt: "a lighthouse at dusk" };
    if (properties.num_outputs) input.num_outputs = 2;
    if (properties.output_format) input.output_format = "png";
    const created = await (await create(fixture, input)).json();
    const prediction = await runToEnd(replicate, created.id);
    const urls: string[] = fixture.outputShape === "string" ? [prediction.output as string] : (prediction.output as string[]);
    if (fixture.outputShape === "string") expect(typeof prediction.output).toBe("string");
    expect(urls).toHaveLength(properties.num_outputs ? 2 : 1);
    const format = properties.output_format ? "png" : fixture.outputFormat;
    urls.forEach((url, i) => expect(url).toBe(`https://replicate.delivery/xezq/${created.id}/out-${i}.${format}`));
    const bytes = Buffer.from(await (await fetch(urls[urls.length - 1])).arrayBuffer());
    expect(MAGIC[format](bytes)).toBe(true);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe(SHARP_FORMAT[format]);
    expect([meta.width, meta.height]).toEqual([64, 64]); // 1024×1024 at 1/16
  });
});

describe("the emulator's rules beyond one field", () => {
  it("reports a missing required prompt as Replicate does", async () => {
    start();
    const response = await post("/models/black-forest-labs/flux-schnell/predictions", { input: { num_outputs: 1 } });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({
      title: "Input validation failed",
      detail: "- input: prompt is required\n",
      status: 422,
      invalid_fields: [{ type: "required", field: "input", description: "prompt is required" }],
    });
  });

  it("lists every failure, required first, one detail line each", () => {
    const schema = MODEL_FIXTURES["black-forest-labs/flux-dev"].model.latest_version!.openapi_schema;
    const result = validateLikeReplicate(schema, { num_inference_steps: 51, guidance: -1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.body.detail).toBe(
      "- input: prompt is required\n- input.num_inference_steps: Must be less than or equal to 50\n- input.guidance: Must be greater than or equal to 0\n",
    );
  });

  it("accepts a whole number for a number field and rejects a fraction for an integer one", () => {
    const schema = MODEL_FIXTURES["black-forest-labs/flux-dev"].model.latest_version!.openapi_schema;
    expect(validateLikeReplicate(schema, { prompt: "x", guidance: 3 }).ok).toBe(true);
    const result = validateLikeReplicate(schema, { prompt: "x", num_outputs: 1.5 });
    expect(!result.ok && result.body.invalid_fields).toEqual([
      { type: "invalid_type", field: "input.num_outputs", description: "Invalid type. Expected: integer, given: number" },
    ]);
  });

  it("answers an unknown version with Replicate's invalid-version 422", async () => {
    start();
    const response = await post("/predictions", { version: "0".repeat(64), input: { prompt: "x" } });
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual(INVALID_VERSION.body);
  });

  it("runs a version given as owner/name:id, and the app's pinned SDXL default", async () => {
    start();
    const pinned = await post("/predictions", { version: `stability-ai/sdxl:${SDXL_DEFAULT_VERSION.id}`, input: { prompt: "x" } });
    expect(pinned.status).toBe(201);
    expect(await pinned.json()).toMatchObject({ model: "stability-ai/sdxl", version: SDXL_DEFAULT_VERSION.id });
    const wrongModel = await post("/predictions", { version: `black-forest-labs/flux-dev:${SDXL_DEFAULT_VERSION.id}`, input: { prompt: "x" } });
    expect(wrongModel.status).toBe(422);
  });

  it("refuses a community model run by name", async () => {
    start();
    const response = await post("/models/bytedance/sdxl-lightning-4step/predictions", { input: { prompt: "x" } });
    expect(response.status).toBe(COMMUNITY_MODEL_BY_NAME.status);
    expect(await response.json()).toEqual(COMMUNITY_MODEL_BY_NAME.body);
    expect(api.predictions.size).toBe(0);
  });

  it("runs a deployment against its model's schema", async () => {
    start({ deployments: { "acme/fast-images": MODEL_FIXTURES["black-forest-labs/flux-schnell"] } });
    const ok = await post("/deployments/acme/fast-images/predictions", { input: { prompt: "x", num_outputs: 3 } });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ model: "black-forest-labs/flux-schnell", input: { prompt: "x", num_outputs: 3 } });
    const bad = await post("/deployments/acme/fast-images/predictions", { input: { prompt: "x", num_outputs: 5 } });
    expect(bad.status).toBe(422);
    expect((await post("/deployments/acme/nothing/predictions", { input: { prompt: "x" } })).status).toBe(404);
    expect(api.requestsTo("create")).toHaveLength(3);
  });

  it("serves model and version bodies, and Replicate's 404 for unknown ones", async () => {
    const replicate = start();
    const model = await replicate.models.get("black-forest-labs", "flux-1.1-pro");
    expect(model.latest_version?.id).toBe(MODEL_FIXTURES["black-forest-labs/flux-1.1-pro"].version);
    const version = await replicate.models.versions.get("stability-ai", "sdxl", SDXL_DEFAULT_VERSION.id);
    expect(version.id).toBe(SDXL_DEFAULT_VERSION.id);
    const missing = await fetch(`${REPLICATE_API}/models/nobody/nothing`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual(MODEL_NOT_FOUND.body);
    expect(api.requestsTo("model")).toHaveLength(3);
  });

  it("renders each aspect ratio at the size cog-flux produces", async () => {
    const replicate = start();
    const created = await (await post("/models/black-forest-labs/flux-schnell/predictions", { input: { prompt: "x", aspect_ratio: "16:9", output_format: "jpg" } })).json();
    const prediction = await runToEnd(replicate, created.id);
    const bytes = Buffer.from(await (await fetch((prediction.output as string[])[0])).arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: "jpeg", width: 1344, height: 768 });
    expect(bytes.byteLength).toBeLessThan(50_000);
  });

  it("prints tqdm and the seed for Cog models, and nothing of the kind for flux-1.1-pro", async () => {
    const replicate = start();
    const flux = await (await post("/models/black-forest-labs/flux-dev/predictions", { input: { prompt: "x", seed: 1234, num_inference_steps: 10 } })).json();
    const fluxDone = await runToEnd(replicate, flux.id);
    expect(fluxDone.logs).toContain("Using seed: 1234");
    expect(fluxDone.logs).toContain("100%|██████████| 10/10");
    const sdxl = await (await post("/predictions", { version: MODEL_FIXTURES["stability-ai/sdxl"].version, input: { prompt: "x", seed: 7 } })).json();
    expect((await runToEnd(replicate, sdxl.id)).logs).toMatch(/^Using seed: 7\n[\s\S]*50\/50/);
    const pro = await (await post("/models/black-forest-labs/flux-1.1-pro/predictions", { input: { prompt: "x" } })).json();
    expect((await runToEnd(replicate, pro.id)).logs).not.toMatch(/it\/s|%\|/);
  });
});

describe("the emulator's read limit", () => {
  it("answers reads past the window's budget with Replicate's 429, Retry-After and body; creates are not counted", async () => {
    const api = createReplicateApi({ readLimit: { perWindow: 2, windowMs: 30_000 } });
    server.resetHandlers(...api.handlers);
    const prediction = api.addPrediction();
    const get = () => fetch(`${REPLICATE_API}/predictions/${prediction.id}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const created = await fetch(`${REPLICATE_API}/predictions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ version: SDXL_DEFAULT_VERSION, input: { prompt: "x" } }),
    });
    expect(created.status).toBe(201);
    const throttled = await get();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("30");
    expect(await throttled.json()).toEqual({ detail: "Request was throttled. Your rate limit resets in ~30s." });
  });
});
