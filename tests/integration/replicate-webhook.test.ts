import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createReplicateModel } from "@/lib/models/replicate";
import { handleReplicateWebhook, SeenWebhookIds, type ReplicateWebhookDeps } from "@/lib/predictions/replicate-webhook";
import { createMemoryBackend } from "@/tests/fixtures/memory-backend";
import { newPredictionRow } from "@/tests/fixtures/prediction-rows";
import { newWebhookSecret, signedWebhook } from "@/tests/fixtures/replicate-webhook";
import { createReplicateApi, TEST_TOKEN, type FakePrediction, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
const userId = "0b6f2a43-29a4-4a47-8e83-3f3cb1b7f1de";
let api: ReplicateApi;
let memory: ReturnType<typeof createMemoryBackend>;
let secret: string;
let deps: ReplicateWebhookDeps;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi();
  server.resetHandlers(...api.handlers);
  memory = createMemoryBackend();
  secret = newWebhookSecret();
  deps = {
    secrets: [secret],
    model: createReplicateModel(
      { apiToken: TEST_TOKEN },
      { retry: { attempts: 2, baseDelayMs: 1 } },
    ),
    backend: memory.backend,
    maxBytes: 20 * 1024 * 1024,
    seen: new SeenWebhookIds(),
  };
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

async function ownedPrediction(fields: Partial<FakePrediction> = { status: "succeeded" }): Promise<FakePrediction> {
  const prediction = api.addPrediction(fields);
  await memory.backend.rows.insertPrediction(newPredictionRow({ id: prediction.id, user_id: userId }));
  return prediction;
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe("Replicate webhook", () => {
  it("saves the image of a verified succeeded prediction", async () => {
    const prediction = await ownedPrediction();
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret }), deps);
    expect(response.status).toBe(200);
    expect(memory.images.size).toBe(1);
    expect(Buffer.from(memory.files.get(`${userId}/${prediction.id}.png`)!.bytes).equals(api.png)).toBe(true);
  });

  it("answers before saving when given a way to defer the work", async () => {
    const prediction = await ownedPrediction();
    const tasks: Array<() => Promise<void>> = [];
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret }), { ...deps, defer: (task) => tasks.push(task) });
    expect(response.status).toBe(200);
    expect(memory.images.size).toBe(0);
    await tasks[0]();
    expect(memory.images.size).toBe(1);
  });

  it("refuses a tampered body with 401", async () => {
    const prediction = await ownedPrediction();
    const tampered = JSON.stringify({ ...prediction, output: ["https://replicate.delivery/xezq/other/out-0.png"] });
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, tamper: tampered }), deps);
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual({ code: "unauthorized", message: "Invalid webhook signature." });
    expect(memory.images.size).toBe(0);
    expect(api.requests).toHaveLength(0);
  });

  it("refuses a request signed with another secret with 401", async () => {
    const prediction = await ownedPrediction();
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret: newWebhookSecret() }), deps);
    expect(response.status).toBe(401);
  });

  it("accepts any one valid signature among several (secret rotation)", async () => {
    const prediction = await ownedPrediction();
    const request = signedWebhook({ body: prediction, secret });
    const headers = new Headers(request.headers);
    headers.set("webhook-signature", `v1,bm90IGl0 ${request.headers.get("webhook-signature")}`);
    const response = await handleReplicateWebhook(new Request(request, { headers }), deps);
    expect(response.status).toBe(200);
  });

  it("refuses an unsigned request with 401", async () => {
    const request = new Request("https://studio.example.com/api/webhooks/replicate", { method: "POST", body: "{}" });
    expect((await handleReplicateWebhook(request, deps)).status).toBe(401);
  });

  it.each([
    ["six minutes old", -360],
    ["six minutes in the future", 360],
  ])("refuses a timestamp %s with 401", async (_label, offset) => {
    const prediction = await ownedPrediction();
    const timestamp = Math.floor(Date.now() / 1000) + offset;
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, timestamp }), deps);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toBe("Webhook timestamp is outside the accepted window.");
    expect(memory.images.size).toBe(0);
  });

  it("answers a replayed webhook id with 200 and does no work", async () => {
    const prediction = await ownedPrediction();
    const id = "msg_replayed";
    expect((await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps)).status).toBe(200);
    const requestsAfterFirst = api.requests.length;
    const uploadsAfterFirst = memory.uploads;

    const replay = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ duplicate: true });
    expect(api.requests).toHaveLength(requestsAfterFirst);
    expect(memory.uploads).toBe(uploadsAfterFirst);
    expect(memory.images.size).toBe(1);
  });

  it("answers 400 to a signed body that is not a prediction", async () => {
    for (const body of ["not json", JSON.stringify({ hello: "world" })]) {
      const response = await handleReplicateWebhook(signedWebhook({ body, secret }), deps);
      expect(response.status).toBe(400);
    }
  });

  it("acknowledges an unknown prediction with 200, logs it, and does nothing", async () => {
    const stranger = api.addPrediction({ status: "succeeded" });
    const response = await handleReplicateWebhook(signedWebhook({ body: stranger, secret }), deps);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ignored: true });
    expect(console.warn).toHaveBeenCalledWith(expect.stringContaining(stranger.id));
    expect(api.requests).toHaveLength(0);
  });

  it("records a failed prediction's error on its row", async () => {
    const prediction = await ownedPrediction({ status: "failed", error: "NSFW content detected.", completed_at: "2025-01-01T00:00:05Z" });
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret }), deps);
    expect(response.status).toBe(200);
    expect(memory.predictions.get(prediction.id)).toMatchObject({
      status: "failed",
      error: "NSFW content detected.",
      completed_at: "2025-01-01T00:00:05Z",
    });
  });

  it("asks Replicate to retry when Replicate itself is down, and accepts that retry", async () => {
    const prediction = await ownedPrediction();
    api.failNext("get", 503, 2);
    const id = "msg_retry";
    const failed = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps);
    expect(failed.status).toBe(503);
    const retried = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps);
    expect(retried.status).toBe(200);
    expect(memory.images.size).toBe(1);
  });

  it("does not exist without a signing secret", async () => {
    const prediction = await ownedPrediction();
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret }), { ...deps, secrets: [] });
    expect(response.status).toBe(404);
  });
});
