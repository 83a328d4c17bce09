import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { DEFAULT_SDXL_VERSION } from "@/lib/models/model-ref";
import { createReplicateModel } from "@/lib/models/replicate";
import { cancelPrediction } from "@/lib/predictions/cancel-prediction";
import type { PredictionStatus } from "@/lib/predictions/types";
import { createMemoryBackend } from "@/tests/fixtures/memory-backend";
import { createReplicateApi, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
const owner = { id: "5a4f0c39-8e5c-4a59-9c0e-2d1b7a6f3e21", email: "owner@example.com" };
const other = { id: "c3e4a1d2-0b9f-4e8d-8a7c-6b5a4f3e2d1c", email: "other@example.com" };
let api: ReplicateApi;
let memory: ReturnType<typeof createMemoryBackend>;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi();
  server.resetHandlers(...api.handlers);
  memory = createMemoryBackend();
});

const model = () => createReplicateModel({ apiToken: TEST_TOKEN });

async function running(status: PredictionStatus = "processing") {
  const { id } = api.addPrediction({ status: "processing" });
  await memory.backend.rows.insertPrediction({
    id,
    user_id: owner.id,
    model: `stability-ai/sdxl:${DEFAULT_SDXL_VERSION}`,
    model_name: "Stable Diffusion XL",
    model_key: "stability-ai/sdxl",
    input: { prompt: "a lighthouse at dusk", num_outputs: 2 },
    seed: null,
    output_count: 2,
    status,
  });
  return id;
}

describe("cancelPrediction", () => {
  it("cancels the owner's running prediction and records it", async () => {
    const id = await running();
    const view = await cancelPrediction({ user: owner, backend: memory.backend, model: model(), id });
    expect(view).toMatchObject({ id, status: "canceled", images: [], expectedImages: 2, modelName: "Stable Diffusion XL" });
    expect(api.requestsTo("cancel").map((r) => r.path)).toEqual([`/v1/predictions/${id}/cancel`]);
    expect(memory.predictions.get(id)).toMatchObject({ status: "canceled" });
    expect(memory.predictions.get(id)?.completed_at).not.toBeNull();
  });

  it("returns 404 for another user's prediction, without calling Replicate", async () => {
    const id = await running();
    const error = await cancelPrediction({ user: other, backend: memory.backend, model: model(), id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 404 });
    expect(api.requests).toHaveLength(0);
    expect(memory.predictions.get(id)?.status).toBe("processing");
  });

  it("returns 404 for a malformed id", async () => {
    await expect(cancelPrediction({ user: owner, backend: memory.backend, model: model(), id: "../x" })).rejects.toMatchObject({ status: 404 });
  });

  it("answers a finished prediction as it is", async () => {
    const id = await running("failed");
    const view = await cancelPrediction({ user: owner, backend: memory.backend, model: model(), id });
    expect(view.status).toBe("failed");
    expect(api.requests).toHaveLength(0);
  });
});
