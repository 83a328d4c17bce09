import { setupServer } from "msw/node";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunTarget } from "@/lib/models/image-model";
import { createReplicateModel } from "@/lib/models/replicate";
import { handleReplicateWebhook, SeenWebhookIds } from "@/lib/predictions/replicate-webhook";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import { createMemoryBackend } from "@/tests/fixtures/memory-backend";
import { newPredictionRow } from "@/tests/fixtures/prediction-rows";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { newWebhookSecret, signedWebhook } from "@/tests/fixtures/replicate-webhook";
import { createReplicateApi, TEST_TOKEN, testPng, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
let api: ReplicateApi;
const userId = "7f1c1f0e-5d7a-4c1e-9d51-2f0d7a0b9c11";
const maxBytes = 20 * 1024 * 1024;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi({ png: testPng(96, 64) });
  server.resetHandlers(...api.handlers);
});

const model = () => createReplicateModel({ apiToken: TEST_TOKEN }, { retry: { attempts: 1 } });

/** A succeeded Replicate prediction with its row, as createPrediction leaves it. */
async function recordedPrediction(memory: ReturnType<typeof createMemoryBackend>) {
  const prediction = api.addPrediction({ status: "succeeded" });
  await memory.backend.rows.insertPrediction(newPredictionRow({ id: prediction.id, user_id: userId }));
  return prediction;
}

/**
 * Runs a fixture model on the strict emulator (Replicate's own input rules and
 * output formats, real pixel sizes) through to `succeeded`, with its row.
 */
async function ranOn(memory: ReturnType<typeof createMemoryBackend>, ref: string, input: Record<string, string | number | boolean>) {
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
  server.resetHandlers(...api.handlers);
  const fixture = MODEL_FIXTURES[ref];
  const target: RunTarget = fixture.official ? { kind: "model", owner: ref.split("/")[0], name: ref.split("/")[1] } : { kind: "version", version: fixture.version };
  const m = model();
  const created = await m.create({ target, input });
  while ((await m.get(created.id)).status !== "succeeded");
  const outputs = typeof input.num_outputs === "number" ? input.num_outputs : 1;
  await memory.backend.rows.insertPrediction(
    newPredictionRow({ id: created.id, user_id: userId, model: `${ref}:${fixture.version}`, input, output_count: outputs }),
  );
  return created.id;
}

describe("saving a Replicate image", () => {
  it("stores a byte-exact copy of the served PNG and records it with its real size", async () => {
    const memory = createMemoryBackend();
    const { id } = await recordedPrediction(memory);

    const { images, failures } = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });

    const stored = memory.files.get(`${userId}/${id}.png`);
    expect(stored?.contentType).toBe("image/png");
    expect(Buffer.from(stored!.bytes).equals(api.png)).toBe(true);
    expect(failures).toEqual([]);
    expect(images).toMatchObject([{ prediction_id: id, output_index: 0, storage_path: `${userId}/${id}.png`, bytes: api.png.byteLength, width: 96, height: 64 }]);
    expect(memory.predictions.get(id)?.status).toBe("succeeded");
  });

  it("saves each of several outputs as its own image, file and row, in the model's own format", async () => {
    const memory = createMemoryBackend();
    const id = await ranOn(memory, "black-forest-labs/flux-schnell", { prompt: "three foxes", num_outputs: 3, aspect_ratio: "16:9" });

    const { images } = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });

    expect(images.map((image) => [image.output_index, image.storage_path, image.content_type, image.width, image.height])).toEqual([
      [0, `${userId}/${id}.webp`, "image/webp", 1344, 768],
      [1, `${userId}/${id}-1.webp`, "image/webp", 1344, 768],
      [2, `${userId}/${id}-2.webp`, "image/webp", 1344, 768],
    ]);
    expect([...memory.files.keys()].sort()).toEqual([`${userId}/${id}-1.webp`, `${userId}/${id}-2.webp`, `${userId}/${id}.webp`]);
    for (const image of images) {
      const meta = await sharp(Buffer.from(memory.files.get(image.storage_path)!.bytes)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", 1344, 768]);
    }
  });

  it("records the size read from the file, never the size asked for: JPEG at 3:2", async () => {
    const memory = createMemoryBackend();
    const id = await ranOn(memory, "black-forest-labs/flux-dev", { prompt: "a fox", aspect_ratio: "3:2", output_format: "jpg" });
    const { images } = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });
    expect(images).toMatchObject([{ content_type: "image/jpeg", storage_path: `${userId}/${id}.jpg`, width: 1216, height: 832 }]);
  });

  it("records the seed the model printed when the person left it random", async () => {
    const memory = createMemoryBackend();
    const id = await ranOn(memory, "black-forest-labs/flux-schnell", { prompt: "a fox" });
    const printed = Number(/Using seed: (\d+)/.exec(api.predictions.get(id)!.logs as string)![1]);

    const { images } = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });

    expect(images[0].seed).toBe(printed);
    expect(memory.predictions.get(id)?.seed).toBe(printed);
  });

  it("keeps the images it could save when one output fails, and saves the missing one on the next try", async () => {
    const memory = createMemoryBackend();
    const id = await ranOn(memory, "black-forest-labs/flux-schnell", { prompt: "three foxes", num_outputs: 3 });
    api.failNext("delivery", 500);

    const first = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });
    expect(first.images).toHaveLength(2);
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0].error.message).toMatch(/Could not download the image from Replicate \(HTTP 500\)/);
    expect(memory.files.size).toBe(2);

    const second = await saveGeneratedImages({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });
    expect(second.failures).toEqual([]);
    expect(second.images.map((image) => image.output_index)).toEqual([0, 1, 2]);
    expect(memory.images.size).toBe(3);
    expect(memory.files.size).toBe(3);
    // The two saved first were not downloaded again.
    expect(api.requestsTo("delivery")).toHaveLength(4);
  });

  it("keeps one row and one file when a poll and the webhook save at once", async () => {
    const memory = createMemoryBackend();
    const prediction = await recordedPrediction(memory);
    const secret = newWebhookSecret();
    const m = model();

    const [polled, hooked] = await Promise.all([
      saveGeneratedImages({ userId, predictionId: prediction.id, backend: memory.backend, model: m, maxBytes }),
      handleReplicateWebhook(signedWebhook({ body: prediction, secret }), {
        secrets: [secret],
        model: m,
        backend: memory.backend,
        maxBytes,
        seen: new SeenWebhookIds(),
      }),
    ]);

    expect(hooked.status).toBe(200);
    expect(memory.images.size).toBe(1);
    expect([...memory.images.values()][0].id).toBe(polled.images[0].id);
    expect([...memory.files.keys()]).toEqual([`${userId}/${prediction.id}.png`]);
    expect(api.requestsTo("delivery")).toHaveLength(1);
  });

  it("keeps one row and one file when two server processes save at once", async () => {
    const memory = createMemoryBackend();
    const { id } = await recordedPrediction(memory);
    // Separate module instances: no shared in-process dedupe, as across two servers.
    vi.resetModules();
    const first = await import("@/lib/predictions/save-image");
    vi.resetModules();
    const second = await import("@/lib/predictions/save-image");
    expect(first.saveGeneratedImages).not.toBe(second.saveGeneratedImages);

    const args = { userId, predictionId: id, backend: memory.backend, maxBytes };
    const [a, b] = await Promise.all([
      first.saveGeneratedImages({ ...args, model: model() }),
      second.saveGeneratedImages({ ...args, model: model() }),
    ]);

    expect(a.images[0].id).toBe(b.images[0].id);
    expect(memory.images.size).toBe(1);
    expect(memory.files.size).toBe(1);
    expect(Buffer.from(memory.files.get(`${userId}/${id}.png`)!.bytes).equals(api.png)).toBe(true);
  });
});
