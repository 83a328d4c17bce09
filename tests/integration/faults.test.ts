import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Readable } from "node:stream";
import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createReplicateModel } from "@/lib/models/replicate";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import { getAppContext, resetAppContextForTests, type AppContext } from "@/lib/server-context";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, DELIVERY_ORIGIN, REPLICATE_API, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";
import { passTime } from "@/tests/support/clock";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";
import { auditStorage } from "@/tests/support/storage-audit";

/**
 * Failures on the way from "Replicate finished" to "the image is in the
 * gallery", injected with msw (Replicate's API and delivery host) and with
 * wrappers around the real local stores. After each one: the person gets a
 * clear answer, nothing is half saved (no row without its file, no file
 * without its row), and a retry, or the reconcile step, finishes the job.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: create } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { reconcileNow } = await import("@/lib/jobs/reconcile-job");

// Taken before msw patches the global fetch: the real one, for the loopback server below.
const realFetch = globalThis.fetch;
const server = setupServer();
let api: ReplicateApi;
let app: LocalApp;
let alice: TestSession;
let context: AppContext;
let original: { backendFor: AppContext["backendFor"]; serviceBackend: AppContext["serviceBackend"] };

/** The real Replicate model with test-sized timeouts and back-off, so a hung Replicate costs ms, not minutes. */
function useQuickModel() {
  context.model = createReplicateModel(
    { apiToken: TEST_TOKEN },
    { createTimeoutMs: 300, downloadTimeoutMs: 500, retry: { attempts: 2, baseDelayMs: 5, budgetMs: 2_000, attemptTimeoutMs: 300 } },
  );
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
  server.resetHandlers(...api.handlers);
  app = await startLocalApp({ REPLICATE_API_TOKEN: TEST_TOKEN, RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "100" });
  alice = await app.signUp("alice@example.com");
  context = app.context;
  original = { backendFor: context.backendFor, serviceBackend: context.serviceBackend };
  useQuickModel();
});

afterAll(async () => {
  await app.stop();
  server.close();
});

beforeEach(() => {
  app.actAs(alice);
  // Handlers added by a test (server.use) go; the fake Replicate and its predictions stay.
  server.resetHandlers(...api.handlers);
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

afterEach(async () => {
  vi.useRealTimers();
  context.backendFor = original.backendFor;
  context.serviceBackend = original.serviceBackend;
  vi.restoreAllMocks();
  // The invariant every fault must keep.
  const audit = await auditStorage(app.dataDir);
  expect(audit.rowsWithoutFile).toEqual([]);
  expect(audit.filesWithoutRow).toEqual([]);
});

// ---------------------------------------------------------------------------

const startPrediction = (prompt = "a lighthouse at dawn") => create(jsonRequest("/api/replicate", { input: { prompt } }), params({}));
const pollId = (id: string) => poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }));

async function started(prompt?: string): Promise<string> {
  const response = await startPrediction(prompt);
  expect(response.status).toBe(201);
  return (await response.json()).id;
}

/** Replicate finishes the prediction without anyone asking (the fake otherwise moves one step per read). */
function finishAtReplicate(id: string) {
  const prediction = api.predictions.get(id)!;
  Object.assign(prediction, {
    status: "succeeded",
    output: [api.outputUrl(id)],
    started_at: new Date().toISOString(),
    completed_at: new Date().toISOString(),
    logs: "100%|██████████| 30/30 [00:04<00:00,  7.12it/s]",
  });
}

async function rowCount(): Promise<number> {
  const db = (await import("@/lib/local/database")).getDatabase;
  const { rows } = await (await db(app.dataDir)).query<{ n: number }>("select count(*)::int as n from public.predictions");
  return rows[0].n;
}

async function imageOf(id: string) {
  return (await auditStorage(app.dataDir)).images.find((image) => image.prediction_id === id) ?? null;
}

/** Polls again each time `waitSeconds` have passed (at most four times) until the image is saved. */
async function expectSavedAfterWaits(id: string, waitSeconds: number) {
  let body = { images: [] as unknown[] };
  for (let i = 0; i < 4 && !body.images?.length; i++) {
    passTime(waitSeconds * 1000);
    body = await (await pollId(id)).json();
  }
  expect(body).toMatchObject({ id, status: "succeeded", error: null, images: [expect.objectContaining({ url: expect.stringContaining(id) })] });
}

/** Wraps the stores every request and job gets, to inject one failure. */
function injectInto(change: (backend: Backend) => Backend) {
  context.backendFor = (user: SessionUser) => change(original.backendFor(user));
  context.serviceBackend = () => change(original.serviceBackend());
}

/** A stream that yields `bytes` and then fails, as a connection reset half way through would. */
function breakingStream(bytes: Uint8Array, after: number): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.subarray(0, after));
      controller.error(new TypeError("terminated: other side closed"));
    },
  });
}

/**
 * A Replicate-compatible server on a loopback port whose first output download
 * sends a few bytes and then nothing, keeping the connection open.
 */
async function startStallingReplicate(png: Buffer) {
  const predictions = new Map<string, Record<string, unknown>>();
  const state = { stalled: 0 };
  const sockets = new Set<Socket>();
  const httpServer = createServer(async (request, response) => {
    const origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const path = request.url ?? "";
    if (request.method === "POST" && path === "/v1/predictions") {
      const { input } = JSON.parse(await new Response(Readable.toWeb(request) as ReadableStream).text());
      const id = randomUUID().replace(/-/g, "").slice(0, 26);
      const now = new Date().toISOString();
      predictions.set(id, {
        id, model: "stability-ai/sdxl", version: "v", input, logs: "", error: null, status: "succeeded",
        output: [`${origin}/out/${id}.png`], created_at: now, started_at: now, completed_at: now, urls: {},
      });
      response.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ...predictions.get(id), status: "starting", output: null }));
    } else if (request.method === "GET" && path.startsWith("/v1/predictions/") && predictions.has(path.slice(16))) {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(predictions.get(path.slice(16))));
    } else if (request.method === "GET" && path.startsWith("/out/")) {
      response.writeHead(200, { "content-type": "image/png", "content-length": String(png.byteLength) });
      if (state.stalled++ === 0) response.write(png.subarray(0, 400));
      else response.end(png);
    } else response.writeHead(404).end();
  });
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    get stalled() {
      return Math.min(state.stalled, 1);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        httpServer.close(() => resolve());
      }),
  };
}

async function expectJsonError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.message).not.toMatch(/at \w+ \(|node_modules|TypeError/);
  return body.error as { code: string; message: string };
}

// ---------------------------------------------------------------------------

describe("Replicate failing on create", () => {
  it.each([
    { failure: 429 as const, status: 429, code: "rate_limited", retryAfter: "30" },
    { failure: 500 as const, status: 503, code: "upstream_unavailable", retryAfter: "5" },
    { failure: 503 as const, status: 503, code: "upstream_unavailable", retryAfter: "5" },
    { failure: "network" as const, status: 503, code: "upstream_unavailable", retryAfter: "5" },
  ])("Replicate $failure: answers $status with Retry-After, records nothing, and does not retry the create", async ({ failure, status, code, retryAfter }) => {
    const rows = await rowCount();
    const creates = api.requestsTo("create").length;
    api.failNext("create", failure);

    const response = await startPrediction();
    expect(response.headers.get("retry-after")).toBe(retryAfter);
    await expectJsonError(response, status, code);
    expect(await rowCount()).toBe(rows);
    // Create is not idempotent: one request, never a blind retry that could bill twice. (Only a
    // 429 asking for a wait of a few seconds is waited out: tests/unit/replicate-model.test.ts.)
    expect(api.requestsTo("create").length).toBe(creates + 1);

    // The next try goes through.
    expect((await startPrediction()).status).toBe(201);
  });

  it("Replicate not answering: gives up after the create timeout with 503, records nothing", async () => {
    const rows = await rowCount();
    server.use(http.post(`${REPLICATE_API}/predictions`, async () => {
      await delay(5_000);
      return HttpResponse.json({}, { status: 201 });
    }, { once: true }));

    const started = Date.now();
    const error = await expectJsonError(await startPrediction(), 503, "upstream_unavailable");
    expect(error.message).toBe("Replicate did not answer in time. Try again in a moment.");
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await rowCount()).toBe(rows);
  });
});

describe("Replicate failing on read", () => {
  it.each([
    { failure: 500 as const, status: 503, code: "upstream_unavailable" },
    { failure: "network" as const, status: 503, code: "upstream_unavailable" },
  ])("Replicate $failure on every retry: the poll answers $status, and a later poll carries on to the saved image", async ({ failure, status, code }) => {
    const id = await started();
    api.failNext("get", failure, 2);

    const failed = await pollId(id);
    expect(Number(failed.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectJsonError(failed, status, code);

    // Nobody reads the prediction again before Replicate's Retry-After has passed.
    const waitSeconds = Number(failed.headers.get("retry-after"));
    await expectSavedAfterWaits(id, waitSeconds);
  });

  it("Replicate 429 on every retry: the poll answers 200 from the row (no 429 reaches the person), and a later poll carries on to the saved image", async () => {
    const id = await started();
    api.failNext("get", 429, 2);

    const throttled = await pollId(id);
    expect(throttled.status).toBe(200);
    const view = await throttled.json();
    expect(view).toMatchObject({ id, error: null });
    // The page is asked to come back once a read is allowed again.
    expect(view.pollAfterMs).toBeGreaterThanOrEqual(1_000);

    const waitSeconds = Math.ceil(view.pollAfterMs / 1000);
    await expectSavedAfterWaits(id, waitSeconds);
  });

  it("a short Replicate 429 is not waited out inside the poll: one read, an answer at once, and the page told when to come back", async () => {
    const id = await started();
    const reads = api.requestsTo("get").length;
    api.failNext("get", { status: 429, headers: { "retry-after": "1" }, body: { detail: "Request was throttled. Your rate limit resets in ~1s." } });

    const throttled = await pollId(id);
    expect(throttled.status).toBe(200);
    expect(await throttled.json()).toMatchObject({ id, error: null, pollAfterMs: 1_000 });
    // Waiting inside would have read again after the second: every poll joined to it would have waited too.
    expect(api.requestsTo("get").length).toBe(reads + 1);
    await expectSavedAfterWaits(id, 1);
  });

  it("one Replicate 500 is retried inside the same poll, unseen", async () => {
    const id = await started();
    api.failNext("get", 500, 1);
    const response = await pollId(id);
    expect(response.status).toBe(200);
    expect((await response.json()).status).toBe("processing");
  });

  it("Replicate not answering: the poll answers 503 in bounded time, and a later poll works", async () => {
    const id = await started();
    let hung = 0;
    server.use(http.get(`${REPLICATE_API}/predictions/:id`, async () => {
      if (hung++ >= 2) return undefined; // then fall through to the fake Replicate
      await delay(5_000);
      return HttpResponse.json({});
    }));
    const before = Date.now();
    const error = await expectJsonError(await pollId(id), 503, "upstream_unavailable");
    expect(error.message).toBe("Replicate did not answer in time. Try again in a moment.");
    expect(Date.now() - before).toBeLessThan(2_000);
    passTime(10_000);
    expect((await (await pollId(id)).json()).status).toBe("processing");
  });
});

describe("saving failing part way", () => {
  it("download breaks half way: no file, no row, a clear message; the next poll saves it", async () => {
    const id = await started();
    finishAtReplicate(id);
    server.use(
      http.get(`${DELIVERY_ORIGIN}/xezq/:id/out-0.png`, () =>
        new HttpResponse(breakingStream(api.png, 300), { headers: { "content-type": "image/png", "content-length": String(api.png.byteLength) } }),
        { once: true },
      ),
    );

    const body = await (await pollId(id)).json();
    expect(body).toMatchObject({ id, status: "succeeded", images: [] });
    expect(body.error).toBe("The image could not be saved: The image download was interrupted. Try saving again.");
    expect(await imageOf(id)).toBeNull();
    expect((await auditStorage(app.dataDir)).files.filter((file) => file.includes(id))).toEqual([]);

    const retried = await (await pollId(id)).json();
    expect(retried).toMatchObject({ status: "succeeded", error: null, images: [expect.objectContaining({ url: expect.stringContaining(id) })] });
  });

  it("download stalls: the save gives up within the download timeout and leaves nothing behind", async () => {
    // On a real loopback socket with the real fetch, so the stalled
    // connection itself must be closed; the unit tests cover bodies that
    // ignore their abort signal.
    const loopback = await startStallingReplicate(api.png);
    context.model = createReplicateModel(
      { apiToken: TEST_TOKEN, baseUrl: `${loopback.origin}/v1` },
      { fetch: realFetch, downloadTimeoutMs: 500, retry: { attempts: 1, attemptTimeoutMs: 1_000 } },
    );
    try {
      const id = await started();
      const before = Date.now();
      const body = await (await pollId(id)).json();
      expect(Date.now() - before).toBeLessThan(3_000);
      expect(loopback.stalled).toBe(1);
      expect(body).toMatchObject({
        status: "succeeded",
        images: [],
        error: "The image could not be saved: Downloading the image took too long. Try saving again.",
      });
      expect(await imageOf(id)).toBeNull();
      expect((await auditStorage(app.dataDir)).files).not.toContainEqual(expect.stringContaining(id));

      expect(await saveGeneratedImage(id)).toMatchObject({ ok: true, images: [expect.objectContaining({ url: expect.stringContaining(id) })] });
    } finally {
      await loopback.close();
      useQuickModel();
    }
  });

  it("storage refuses the upload: no row; the save action says so, and a retry saves", async () => {
    const id = await started();
    finishAtReplicate(id);
    injectInto((backend) => ({
      ...backend,
      files: { ...backend.files, upload: async () => Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })) },
    }));

    const result = await saveGeneratedImage(id);
    expect(result).toEqual({ ok: false, error: { code: "internal", message: "Something went wrong on our side. Please try again." } });
    expect(await imageOf(id)).toBeNull();

    context.backendFor = original.backendFor;
    expect(await saveGeneratedImage(id)).toMatchObject({ ok: true });
    expect(await imageOf(id)).not.toBeNull();
  });

  it("storage fails half way through writing: its temp file is removed, no row; a retry saves", async () => {
    const id = await started();
    finishAtReplicate(id);
    injectInto((backend) => ({
      ...backend,
      files: {
        ...backend.files,
        // The real local store, fed a body that dies part way: what a failing disk or network looks like to it.
        upload: async (args) => {
          const bytes = new Uint8Array(await new Response(args.body).arrayBuffer());
          return backend.files.upload({ ...args, body: breakingStream(bytes, 500) });
        },
      },
    }));

    expect((await saveGeneratedImage(id)).ok).toBe(false);
    expect(await imageOf(id)).toBeNull();
    // The afterEach audit also fails on any leftover `.<name>.tmp` file.

    context.backendFor = original.backendFor;
    expect((await saveGeneratedImage(id)).ok).toBe(true);
  });

  it("the row insert fails after the upload: the uploaded file is removed; a retry saves both", async () => {
    const id = await started();
    finishAtReplicate(id);
    let uploaded = false;
    injectInto((backend) => ({
      files: { ...backend.files, upload: async (args) => backend.files.upload(args).finally(() => (uploaded = true)) },
      rows: { ...backend.rows, insertImage: async () => Promise.reject(new Error("Connection terminated unexpectedly")) },
    }));

    const body = await (await pollId(id)).json();
    expect(uploaded).toBe(true);
    expect(body).toMatchObject({ status: "succeeded", images: [], error: expect.stringMatching(/^The image could not be saved/) });
    const audit = await auditStorage(app.dataDir);
    expect(audit.files.filter((file) => file.includes(id))).toEqual([]);

    context.backendFor = original.backendFor;
    expect((await (await pollId(id)).json()).images).toHaveLength(1);
  });

  it("the row insert and the clean-up both fail: the stray file is adopted by the next save (reconcile), never left alone", async () => {
    const id = await started();
    finishAtReplicate(id);
    injectInto((backend) => ({
      files: { ...backend.files, remove: async () => Promise.reject(new Error("EIO")) },
      rows: { ...backend.rows, insertImage: async () => Promise.reject(new Error("Connection terminated unexpectedly")) },
    }));
    expect((await saveGeneratedImage(id)).ok).toBe(false);
    const stray = (await auditStorage(app.dataDir)).filesWithoutRow;
    expect(stray).toEqual([`${alice.user.id}/${id}.png`]);

    context.backendFor = original.backendFor;
    context.serviceBackend = original.serviceBackend;
    const result = await reconcileNow();
    expect(result.saved).toBeGreaterThanOrEqual(1);
    expect(await imageOf(id)).toMatchObject({ storage_path: `${alice.user.id}/${id}.png` });
  });

  it("recording the final status fails after the image is stored: the image stands and the next poll shows it", async () => {
    const id = await started();
    finishAtReplicate(id);
    injectInto((backend) => ({ ...backend, rows: { ...backend.rows, updatePrediction: async () => Promise.reject(new Error("timeout")) } }));
    expect((await saveGeneratedImage(id)).ok).toBe(false);

    context.backendFor = original.backendFor;
    expect((await (await pollId(id)).json()).images[0]).toMatchObject({ url: expect.stringContaining(id) });
  });
});

describe("the server stopping between succeeded and the save", () => {
  it("a prediction that finished while no server was saving is saved by the reconcile run at start-up", async () => {
    const id = await started("saved after a restart");
    // The person closed the tab; the server stopped before any poll saw `succeeded`.
    finishAtReplicate(id);
    await context.close?.();
    resetAppContextForTests();

    // A new server process on the same data folder: instrumentation's start-up run.
    const { startReconcileSchedule, stopReconcileSchedule } = await import("@/lib/jobs/reconcile-job");
    await startReconcileSchedule();
    stopReconcileSchedule();

    expect(await imageOf(id)).toMatchObject({ storage_path: `${alice.user.id}/${id}.png` });
    // The restarted app answers the person's next poll from the stored image.
    context = await getAppContext();
    original = { backendFor: context.backendFor, serviceBackend: context.serviceBackend };
    useQuickModel();
    expect((await (await pollId(id)).json()).images[0]).toMatchObject({ url: `/api/files/${alice.user.id}/${id}.png` });
  });
});
