import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_REPLICATE_VERSION } from "@/lib/env";
import { createReplicateModel } from "@/lib/models/replicate";
import { generationInputSchema } from "@/lib/predictions/input-schema";
import { handleReplicateWebhook, SeenWebhookIds } from "@/lib/predictions/replicate-webhook";
import { saveGeneratedImage } from "@/lib/predictions/save-image";
import { createMemoryBackend } from "@/tests/fixtures/memory-backend";
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

const model = () => createReplicateModel({ kind: "replicate", apiToken: TEST_TOKEN, version: DEFAULT_REPLICATE_VERSION });

/** A succeeded Replicate prediction with its row, as createPrediction leaves it. */
async function recordedPrediction(memory: ReturnType<typeof createMemoryBackend>) {
  const prediction = api.addPrediction({ status: "succeeded" });
  await memory.backend.rows.insertPrediction({
    id: prediction.id,
    user_id: userId,
    model: model().id,
    input: generationInputSchema.parse({ prompt: "a lighthouse at dusk", width: 1024, height: 1024 }),
    status: "processing",
  });
  return prediction;
}

describe("saving a Replicate image", () => {
  it("stores a byte-exact copy of the served PNG and records it", async () => {
    const memory = createMemoryBackend();
    const { id } = await recordedPrediction(memory);

    const image = await saveGeneratedImage({ userId, predictionId: id, backend: memory.backend, model: model(), maxBytes });

    const stored = memory.files.get(`${userId}/${id}.png`);
    expect(stored?.contentType).toBe("image/png");
    expect(Buffer.from(stored!.bytes).equals(api.png)).toBe(true);
    expect(image).toMatchObject({ prediction_id: id, storage_path: `${userId}/${id}.png`, bytes: api.png.byteLength, width: 96, height: 64 });
    expect(memory.predictions.get(id)?.status).toBe("succeeded");
  });

  it("keeps one row and one file when a poll and the webhook save at once", async () => {
    const memory = createMemoryBackend();
    const prediction = await recordedPrediction(memory);
    const secret = newWebhookSecret();
    const m = model();

    const [polled, hooked] = await Promise.all([
      saveGeneratedImage({ userId, predictionId: prediction.id, backend: memory.backend, model: m, maxBytes }),
      handleReplicateWebhook(signedWebhook({ body: prediction, secret }), {
        secret,
        model: m,
        backend: memory.backend,
        maxBytes,
        seen: new SeenWebhookIds(),
      }),
    ]);

    expect(hooked.status).toBe(200);
    expect(memory.images.size).toBe(1);
    expect([...memory.images.values()][0].id).toBe(polled.id);
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
    expect(first.saveGeneratedImage).not.toBe(second.saveGeneratedImage);

    const args = { userId, predictionId: id, backend: memory.backend, maxBytes };
    const [a, b] = await Promise.all([
      first.saveGeneratedImage({ ...args, model: model() }),
      second.saveGeneratedImage({ ...args, model: model() }),
    ]);

    expect(a.id).toBe(b.id);
    expect(memory.images.size).toBe(1);
    expect(memory.files.size).toBe(1);
    expect(Buffer.from(memory.files.get(`${userId}/${id}.png`)!.bytes).equals(api.png)).toBe(true);
  });
});
