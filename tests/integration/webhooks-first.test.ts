import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { observationOf } from "@/lib/predictions/observation";
import { handleReplicateWebhook, SeenWebhookIds } from "@/lib/predictions/replicate-webhook";
import type { ModelPrediction, PredictionView } from "@/lib/predictions/types";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { newWebhookSecret, signedWebhook } from "@/tests/fixtures/replicate-webhook";
import { createReplicateApi, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";
import { passTime } from "@/tests/support/clock";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

/**
 * The app as a thousand people at once would use it, on Replicate (the msw
 * emulator) and the real local backend: with webhooks, the row follows each
 * run from Replicate's own deliveries and polls read nothing upstream; a
 * delivery that beats the create's row is not lost.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: create } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");

const server = setupServer();
const secret = newWebhookSecret();
let api: ReplicateApi;
let app: LocalApp;
let alice: TestSession;

/** Replicate's side of the wire: the emulator sends each delivery to the app's webhook handler. */
function replicateWithWebhooks(extra: Parameters<typeof createReplicateApi>[0] = {}) {
  api = createReplicateApi({
    models: Object.values(MODEL_FIXTURES),
    webhooks: {
      secret,
      deliver: (request) =>
        handleReplicateWebhook(request, {
          secrets: [secret],
          model: app.context.model,
          backend: app.context.serviceBackend(),
          maxBytes: app.context.env.limits.maxOutputBytes,
          seen: new SeenWebhookIds(),
        }),
    },
    ...extra,
  });
  server.resetHandlers(...api.handlers);
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  replicateWithWebhooks();
  app = await startLocalApp({
    REPLICATE_API_TOKEN: TEST_TOKEN,
    REPLICATE_WEBHOOK_SIGNING_SECRET: secret,
    // A loopback address: used as given, as a tunnel or a test stand-in would be.
    REPLICATE_WEBHOOK_BASE_URL: "http://127.0.0.1:3999",
    RATE_LIMIT_CONCURRENT: "50",
    RATE_LIMIT_CREATES_PER_MINUTE: "100",
  });
  alice = await app.signUp("alice@example.com");
});

afterAll(async () => {
  await app.stop();
  server.close();
});

beforeEach(() => {
  app.actAs(alice);
  replicateWithWebhooks();
});

afterEach(() => {
  vi.useRealTimers();
});

async function started(): Promise<PredictionView> {
  const response = await create(jsonRequest("/api/replicate", { input: { prompt: "a lighthouse at dusk" } }), params({}));
  expect(response.status).toBe(201);
  return (await response.json()) as PredictionView;
}

async function pollView(id: string): Promise<PredictionView> {
  const response = await poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }));
  expect(response.status).toBe(200);
  return (await response.json()) as PredictionView;
}

const row = (id: string) => app.context.serviceBackend().rows.getPredictionWithImages({ id, userId: alice.user.id });

describe("with webhooks, polls answer from the row", () => {
  it("creates predictions with the start, logs and completed events, at the configured webhook base URL", async () => {
    await started();
    expect(api.requestsTo("create").at(-1)?.body).toMatchObject({
      webhook: "http://127.0.0.1:3999/api/webhooks/replicate",
      webhook_events_filter: ["start", "logs", "completed"],
    });
  });

  it("follows a run from start to saved image with no read of Replicate, however often the page polls", async () => {
    const { id } = await started();

    expect((await api.emit(id, "start"))?.status).toBe(200);
    expect(await pollView(id)).toMatchObject({ status: "starting", progress: null });

    api.setProgress(id, 0.5);
    expect((await api.emit(id, "logs"))?.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      expect(await pollView(id)).toMatchObject({ status: "processing", progress: 0.5, seed: 4242 });
    }

    api.finish(id);
    expect((await api.emit(id, "completed"))?.status).toBe(200);
    const done = await pollView(id);
    expect(done).toMatchObject({ status: "succeeded", progress: 1, error: null, images: [expect.objectContaining({ index: 0 })] });
    expect(done.pollAfterMs).toBeUndefined();

    expect(api.requestsTo("get")).toHaveLength(0);
    expect(api.requestsTo("delivery")).toHaveLength(1);
  });

  it("keeps the newest state whatever order deliveries arrive in, and a repeat changes nothing", async () => {
    const { id } = await started();
    // What Replicate sent at each moment, delivered late and out of order, as retries can be.
    const snapshot = () => structuredClone(api.predictions.get(id)!);
    const deliver = (body: unknown) =>
      handleReplicateWebhook(signedWebhook({ body, secret }), {
        secrets: [secret],
        model: app.context.model,
        backend: app.context.serviceBackend(),
        maxBytes: app.context.env.limits.maxOutputBytes,
        seen: new SeenWebhookIds(),
      });
    const atStart = snapshot();
    api.setProgress(id, 0.3);
    const early = snapshot();
    api.setProgress(id, 0.7);
    const later = snapshot();

    expect((await deliver(later)).status).toBe(200);
    expect((await deliver(early)).status).toBe(200);
    expect((await deliver(atStart)).status).toBe(200);
    expect((await row(id))?.prediction).toMatchObject({ status: "processing", progress: 0.7 });

    api.finish(id);
    const completed = snapshot();
    expect((await deliver(completed)).status).toBe(200);
    const saved = await row(id);
    expect(saved?.prediction.status).toBe("succeeded");
    expect(saved?.images).toHaveLength(1);

    // After the end, nothing moves it: not a late progress report, not a
    // contradicting final status, not the same completed delivery again.
    await deliver(later);
    await deliver({ ...completed, status: "failed", error: "a late, contradicting report", output: null });
    await deliver(completed);
    const after = await row(id);
    expect(after?.prediction).toMatchObject({ status: "succeeded", error: null, progress: 1 });
    expect(after?.images.map((image) => image.id)).toEqual(saved?.images.map((image) => image.id));

    // Two deliveries can both find the row unfinished and race to record; the
    // store's own condition keeps the first final status (the rows themselves,
    // not only the handler's early check).
    const now = Date.now();
    const contradicting = observationOf({ ...completed, status: "failed", error: "lost the race", output: null } as unknown as ModelPrediction, { now, nextReadAt: now });
    expect(await app.context.serviceBackend().rows.recordObservation({ id, userId: alice.user.id, observation: contradicting })).toBe(false);
    expect((await row(id))?.prediction).toMatchObject({ status: "succeeded", error: null });
  });

  it("reads Replicate only when the row has heard nothing for a while (a lost webhook), and then once", async () => {
    const { id } = await started();
    await api.emit(id, "start");
    api.setProgress(id, 0.5); // a logs delivery that never arrives
    expect(await pollView(id)).toMatchObject({ status: "starting" });
    expect(api.requestsTo("get")).toHaveLength(0);

    // Half a minute of silence: one read (the emulator's run has finished by then), shared by every poll.
    passTime(31_000);
    await Promise.all([pollView(id), pollView(id), pollView(id)]);
    expect(api.requestsTo("get")).toHaveLength(1);
    expect(await pollView(id)).toMatchObject({ status: "succeeded", images: [expect.objectContaining({ index: 0 })] });
    expect(api.requestsTo("get")).toHaveLength(1);
  });

  it("keeps a completed webhook that arrives before the create has written its row, and saves the image with nobody polling", async () => {
    replicateWithWebhooks({ finishOnCreate: true });
    const { id } = await started();

    // The delivery came before the row existed (kept), and the create applied it once its row was written.
    expect(api.deliveries).toEqual([{ id, event: "completed" }]);
    const stored = await row(id);
    expect(stored?.prediction).toMatchObject({ status: "succeeded", progress: 1 });
    expect(stored?.images).toHaveLength(1);
    expect(await app.storedFiles(alice.user.id)).toContain(`${alice.user.id}/${id}.png`);
    expect(await app.context.serviceBackend().rows.takeEarlyWebhooks({ predictionId: id })).toEqual([]);
    expect(api.requestsTo("get")).toHaveLength(0);
  });
});

describe("without webhooks, one read serves everyone", () => {
  let plain: LocalApp;
  let bob: TestSession;

  beforeAll(async () => {
    await app.stop();
    plain = await startLocalApp({ REPLICATE_API_TOKEN: TEST_TOKEN, RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "100" });
    bob = await plain.signUp("bob@example.com");
  });
  afterAll(async () => {
    await plain.stop();
    // The outer afterAll stops `app` again: give it a fresh one to stop.
    app = await startLocalApp({ REPLICATE_API_TOKEN: TEST_TOKEN });
  });
  beforeEach(() => {
    plain.actAs(bob);
    api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
    server.resetHandlers(...api.handlers);
  });

  it("lets five tabs polling at once share one read, answers the next polls from the row, and reads again an interval later", async () => {
    const { id } = await started();
    const views = await Promise.all(Array.from({ length: 5 }, () => pollView(id)));
    expect(api.requestsTo("get")).toHaveLength(1);
    expect(new Set(views.map((view) => view.status))).toEqual(new Set(["processing"]));
    expect(views.every((view) => view.pollAfterMs! >= 500 && view.pollAfterMs! <= 1_000)).toBe(true);

    const soon = await pollView(id);
    expect(soon).toMatchObject({ status: "processing" });
    expect(soon.pollAfterMs).toBeGreaterThanOrEqual(500);
    expect(api.requestsTo("get")).toHaveLength(1);

    passTime(1_100);
    expect(await pollView(id)).toMatchObject({ status: "succeeded", images: [expect.objectContaining({ index: 0 })] });
    expect(api.requestsTo("get")).toHaveLength(2);
  });

  it("widens the interval as a run ages, and tells the page so", async () => {
    const { id } = await started();
    await pollView(id);
    passTime(60_000);
    api.failNext("get", { status: 200, body: { ...api.predictions.get(id), status: "processing" } });
    const late = await pollView(id);
    expect(late.pollAfterMs).toBe(3_000);
    passTime(2_000);
    await pollView(id);
    expect(api.requestsTo("get")).toHaveLength(2);
  });

  it("shares reads across two server instances on one database: one reads, the other answers from the row", async () => {
    const { createLocalBackend } = await import("@/lib/local/local-backend");
    const { readPrediction } = await import("@/lib/predictions/read-prediction");
    const env = plain.context.env;
    if (env.backend.kind !== "local") throw new Error("local mode expected");
    const second = await createLocalBackend(env.backend, { secureCookies: false });
    const { id } = await started();

    const onFirst = await readPrediction({ user: bob.user, backend: plain.context.backendFor(bob.user), model: plain.context.model, id });
    const onSecond = await readPrediction({ user: bob.user, backend: second.backendFor(bob.user), model: plain.context.model, id });
    expect(onFirst.view.status).toBe("processing");
    expect(onSecond.view.status).toBe("processing");
    expect(api.requestsTo("get")).toHaveLength(1);

    // The claim itself, raced from both instances once a read is due: exactly one wins.
    const due = new Date(Date.now() + 5_000).toISOString();
    const until = new Date(Date.now() + 6_000).toISOString();
    const claims = await Promise.all(
      [plain.context.backendFor(bob.user), second.backendFor(bob.user)].map((backend) =>
        backend.rows.claimRead({ id, userId: bob.user.id, now: due, until }),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it("after Replicate throttles a read, the poll answers from the row and nobody reads that prediction again before its Retry-After", async () => {
    api = createReplicateApi({ models: Object.values(MODEL_FIXTURES), readLimit: { perWindow: 1, windowMs: 60_000 } });
    server.resetHandlers(...api.handlers);
    const { id } = await started();
    const other = await started();
    await pollView(id); // the window's one read
    // Replicate's limit is the app's to spend: the person is not shown a 429, only asked to come back later.
    const throttled = await pollView(other.id);
    expect(throttled).toMatchObject({ id: other.id, status: "starting", error: null });
    expect(throttled.pollAfterMs).toBeGreaterThan(1_000);
    const reads = api.requestsTo("get").length;

    passTime(1_500);
    expect(await pollView(other.id)).toMatchObject({ status: "starting" });
    expect(api.requestsTo("get")).toHaveLength(reads);
  });
});
