import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createReplicateModel } from "@/lib/models/replicate";
import { AppError } from "@/lib/errors";
import { applyEarlyWebhooks, handleReplicateWebhook, SeenWebhookIds, type ReplicateWebhookDeps } from "@/lib/predictions/replicate-webhook";
import { verifyWebhookSignature } from "@/lib/predictions/webhook-signature";
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

  it("keeps a delivery for a prediction whose row is not written yet, instead of dropping it, and reads nothing", async () => {
    vi.spyOn(console, "info").mockImplementation(() => undefined);
    const early = api.addPrediction({ status: "succeeded" });
    const response = await handleReplicateWebhook(signedWebhook({ body: early, secret, id: "msg_early" }), deps);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ kept: true });
    expect([...memory.inbox.values()]).toEqual([expect.objectContaining({ predictionId: early.id })]);
    expect(api.requests).toHaveLength(0);

    // The create writes its row and applies what was kept: the image is saved.
    await memory.backend.rows.insertPrediction(newPredictionRow({ id: early.id, user_id: userId }));
    await applyEarlyWebhooks({ backend: memory.backend, model: deps.model, predictionId: early.id, maxBytes: deps.maxBytes });
    expect(memory.images.size).toBe(1);
    expect(memory.inbox.size).toBe(0);
    expect(api.requestsTo("get")).toHaveLength(0);
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

  it("asks Replicate to retry when storage is down, and accepts that retry", async () => {
    const prediction = await ownedPrediction();
    const upload = memory.backend.files.upload;
    memory.backend.files.upload = async () => Promise.reject(new AppError("upstream_unavailable", "Storage is down.", { retryAfter: 5 }));
    const id = "msg_retry";
    const failed = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps);
    expect(failed.status).toBe(503);
    memory.backend.files.upload = upload;
    const retried = await handleReplicateWebhook(signedWebhook({ body: prediction, secret, id }), deps);
    expect(retried.status).toBe(200);
    expect(memory.images.size).toBe(1);
    expect(api.requestsTo("get")).toHaveLength(0);
  });

  it("does not exist without a signing secret", async () => {
    const prediction = await ownedPrediction();
    const response = await handleReplicateWebhook(signedWebhook({ body: prediction, secret }), { ...deps, secrets: [] });
    expect(response.status).toBe(404);
  });
});

describe("Replicate webhook events on the row", () => {
  /** The emulator sends signed deliveries straight to the handler. */
  function replicateSending(secretUsed = secret) {
    api = createReplicateApi({ webhooks: { secret: secretUsed, deliver: (request) => handleReplicateWebhook(request, deps) } });
    server.resetHandlers(...api.handlers);
  }

  async function running(): Promise<string> {
    const prediction = api.addPrediction({ status: "starting", webhook: "https://studio.example.com/api/webhooks/replicate", webhook_events_filter: ["start", "logs", "completed"] });
    await memory.backend.rows.insertPrediction(newPredictionRow({ id: prediction.id, user_id: userId, status: "starting" }));
    return prediction.id;
  }

  it("records start, then progress and the seed from logs, then the outputs and the saved image on completed", async () => {
    replicateSending();
    const id = await running();
    await api.emit(id, "start");
    expect(memory.predictions.get(id)).toMatchObject({ status: "starting", progress: null });
    expect(memory.predictions.get(id)?.next_read_at).not.toBeNull();

    api.setProgress(id, 0.4);
    await api.emit(id, "logs");
    expect(memory.predictions.get(id)).toMatchObject({ status: "processing", progress: 0.4, seed: 4242 });

    api.finish(id);
    expect((await api.emit(id, "completed"))?.status).toBe(200);
    expect(memory.predictions.get(id)).toMatchObject({ status: "succeeded", progress: 1, output: [api.outputUrl(id)] });
    expect(memory.images.size).toBe(1);
    expect(api.requestsTo("get")).toHaveLength(0);
  });

  it("does not move a row backwards when deliveries arrive out of order", async () => {
    replicateSending();
    const id = await running();
    api.setProgress(id, 0.2);
    const earlyBody = structuredClone(api.predictions.get(id));
    const early = () => signedWebhook({ body: earlyBody, secret });
    api.setProgress(id, 0.8);
    await api.emit(id, "logs");
    await handleReplicateWebhook(early(), deps);
    expect(memory.predictions.get(id)).toMatchObject({ status: "processing", progress: 0.8 });

    api.finish(id);
    const completed = signedWebhook({ body: api.predictions.get(id), secret });
    await handleReplicateWebhook(completed, deps);
    // A logs delivery overtaken by completed, and a start that was late.
    await handleReplicateWebhook(early(), deps);
    await handleReplicateWebhook(signedWebhook({ body: { ...api.predictions.get(id), status: "starting", logs: "" }, secret }), deps);
    expect(memory.predictions.get(id)).toMatchObject({ status: "succeeded", progress: 1 });
    expect(memory.images.size).toBe(1);
  });

  it("treats a redelivered completed (new webhook id, same body) as the same result: one image, one upload", async () => {
    replicateSending();
    const id = await running();
    api.finish(id);
    await api.emit(id, "completed");
    await api.emit(id, "completed");
    expect(memory.images.size).toBe(1);
    expect(memory.uploads).toBe(1);
  });

  it("sends only the events the prediction asked for", async () => {
    replicateSending();
    const id = await running();
    expect(await api.emit(id, "output")).toBeNull();
    expect(api.deliveries).toEqual([]);
  });

  it("accepts deliveries signed with either of two secrets while one is rotated, and refuses any other", async () => {
    const previous = newWebhookSecret();
    const rotating = { ...deps, secrets: [newWebhookSecret(), previous] };
    const prediction = await ownedPrediction({ status: "processing" });
    expect((await handleReplicateWebhook(signedWebhook({ body: prediction, secret: previous }), rotating)).status).toBe(200);
    expect((await handleReplicateWebhook(signedWebhook({ body: prediction, secret: rotating.secrets[0] }), rotating)).status).toBe(200);
    expect((await handleReplicateWebhook(signedWebhook({ body: prediction, secret: newWebhookSecret() }), rotating)).status).toBe(401);
  });
});

describe("verifyWebhookSignature", () => {
  const signed = signedWebhook({ body: { id: "abc" }, secret: newWebhookSecret(), id: "msg_1", timestamp: 1_700_000_000 });
  const header = signed.headers.get("webhook-signature")!;

  it("checks the HMAC of id.timestamp.body against each v1 entry, with a whsec_ secret", async () => {
    const body = await signed.clone().text();
    const secretValue = newWebhookSecret();
    const good = signedWebhook({ body, secret: secretValue, id: "msg_1", timestamp: 1_700_000_000 }).headers.get("webhook-signature")!;
    const check = (value: string, over = body) => verifyWebhookSignature({ id: "msg_1", timestamp: "1700000000", body: over, header: value, secrets: [secretValue] });
    expect(check(good)).toBe(true);
    expect(check(`v1,AAAA ${good}`)).toBe(true);
    expect(check(good, `${body} `)).toBe(false);
    expect(check(header)).toBe(false);
    // Not the v1 scheme, a signature of the wrong length, garbage: false, never a throw.
    expect(check(good.replace("v1,", "v2,"))).toBe(false);
    expect(check("v1,c2hvcnQ=")).toBe(false);
    expect(check("v1")).toBe(false);
  });
});
