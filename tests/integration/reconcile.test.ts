import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { createLocalModel } from "@/lib/models/local-model";
import { createMemorySchemaStore, createModelCatalog, LOCAL_MODEL_KEY, type RunnableModel } from "@/lib/models/model-catalog";
import { reconcileUnsavedImages, RECONCILE_WINDOW_MS } from "@/lib/predictions/reconcile";
import { createMemoryBackend } from "@/tests/fixtures/memory-backend";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";
import { auditStorage } from "@/tests/support/storage-audit";

/**
 * The reconcile step: predictions that succeeded less than an hour ago but
 * have fewer images saved than they made are saved on the next poll, on server start (instrumentation),
 * and by `npm run reconcile` (POST /api/internal/reconcile).
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: create } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");
const { POST: reconcileRoute, GET: reconcileGet } = await import("@/app/api/internal/reconcile/route");
const { register } = await import("@/instrumentation");
const { stopReconcileSchedule } = await import("@/lib/jobs/reconcile-job");

const maxBytes = 20 * 1024 * 1024;
const RECONCILE_SECRET = "a-reconcile-secret-that-is-long-enough-0123456789";

describe("reconcileUnsavedImages", () => {
  let dataDir: string;
  let model: ImageModel;
  /** What the app's catalog says about the local model: what rows record. */
  let runnable: RunnableModel;
  let memory: ReturnType<typeof createMemoryBackend>;
  const alice = "6c0f3f8e-8d6e-4d0b-9a51-1b1a0b8e1c01";
  const bob = "0f9a7d3e-3d2a-4a55-8a59-7b3e4c2f1d02";

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-reconcile-"));
    model = createLocalModel({ dataDir, durationMs: 0 });
    runnable = await createModelCatalog({ engine: model, entries: [{ key: LOCAL_MODEL_KEY, ref: "local" }], store: createMemorySchemaStore() }).resolve();
    memory = createMemoryBackend();
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A prediction as createPrediction leaves it: started at the model, recorded with its owner. */
  async function recorded(userId: string, prompt = "a paper boat", status: "starting" | "processing" | "succeeded" = "starting", outputs = 1) {
    const checked = runnable.validate({ prompt, width: 256, height: 256, num_inference_steps: 4, num_outputs: outputs });
    if (!checked.ok) throw new Error(JSON.stringify(checked.fields));
    const prediction = await model.create({ target: runnable.target, input: checked.input });
    await memory.backend.rows.insertPrediction({
      id: prediction.id,
      user_id: userId,
      model: runnable.reference,
      model_name: runnable.displayName,
      model_key: runnable.key,
      input: checked.input,
      seed: typeof prediction.input.seed === "number" ? prediction.input.seed : null,
      output_count: outputs,
      status,
    });
    return prediction.id;
  }

  const run = (extra: Partial<Parameters<typeof reconcileUnsavedImages>[0]> = {}) =>
    reconcileUnsavedImages({ backend: memory.backend, model, maxBytes, ...extra });

  it("saves every owner's succeeded, unsaved image into that owner's folder", async () => {
    const a = await recorded(alice);
    const b = await recorded(bob, "a kite", "succeeded");

    expect(await run()).toEqual({ checked: 2, saved: 2, running: 0, ended: 0, canceled: 0, failed: 0 });
    expect([...memory.files.keys()].sort()).toEqual([`${alice}/${a}.png`, `${bob}/${b}.png`].sort());
    expect([...memory.images.values()].map((image) => [image.user_id, image.prediction_id]).sort()).toEqual(
      [[alice, a], [bob, b]].sort(),
    );
    expect(memory.predictions.get(a)?.status).toBe("succeeded");
  });

  it("saves every output of a prediction that made several, each as its own row and file", async () => {
    const id = await recorded(alice, "three boats", "starting", 3);

    expect(await run()).toEqual({ checked: 1, saved: 1, running: 0, ended: 0, canceled: 0, failed: 0 });
    const images = [...memory.images.values()].sort((x, y) => x.output_index - y.output_index);
    expect(images.map((image) => [image.output_index, image.storage_path])).toEqual([
      [0, `${alice}/${id}.png`],
      [1, `${alice}/${id}-1.png`],
      [2, `${alice}/${id}-2.png`],
    ]);
    expect([...memory.files.keys()].sort()).toEqual(images.map((image) => image.storage_path).sort());
    expect(new Set(images.map((image) => image.seed)).size).toBe(1);
    expect(await run()).toMatchObject({ checked: 0, saved: 0 });
    expect(memory.uploads).toBe(3);
  });

  it("saves only the outputs still missing when some were saved before", async () => {
    const id = await recorded(alice, "two boats", "starting", 2);
    const upload = memory.backend.files.upload;
    // The first run's second upload fails: one of two images is saved, and the prediction stays unsaved.
    memory.backend.files.upload = async (args) => {
      if (args.path.endsWith("-1.png")) throw new AppError("upstream_unavailable", "Storage is full.");
      return upload(args);
    };
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(await run()).toEqual({ checked: 1, saved: 0, running: 0, ended: 0, canceled: 0, failed: 1 });
    expect([...memory.files.keys()]).toEqual([`${alice}/${id}.png`]);

    memory.backend.files.upload = upload;
    expect(await run()).toEqual({ checked: 1, saved: 1, running: 0, ended: 0, canceled: 0, failed: 0 });
    expect([...memory.files.keys()].sort()).toEqual([`${alice}/${id}-1.png`, `${alice}/${id}.png`]);
    expect([...memory.images.values()].map((image) => image.output_index).sort()).toEqual([0, 1]);
    expect(memory.uploads).toBe(2);
    expect(await run()).toMatchObject({ checked: 0 });
  });

  it("is idempotent: a second run finds nothing to do", async () => {
    await recorded(alice);
    await run();
    expect(await run()).toEqual({ checked: 0, saved: 0, running: 0, ended: 0, canceled: 0, failed: 0 });
    expect(memory.images.size).toBe(1);
    expect(memory.uploads).toBe(1);
  });

  it("leaves running predictions alone and records the ones that failed", async () => {
    const slow = createLocalModel({ dataDir, durationMs: 60_000 });
    model = slow;
    const running = await recorded(alice, "takes a minute");
    const failing = await recorded(alice, "this one will [fail]");
    // Half way through the failing one's run, as the model sees it.
    model = createLocalModel({ dataDir, durationMs: 60_000, now: () => Date.now() + 40_000 });

    expect(await run()).toEqual({ checked: 2, saved: 0, running: 1, ended: 1, canceled: 0, failed: 0 });
    expect(memory.predictions.get(running)?.status).toBe("processing");
    expect(memory.predictions.get(failing)).toMatchObject({ status: "failed", error: expect.stringContaining("[fail]") });
    expect(memory.files.size).toBe(0);
  });

  it("skips predictions older than an hour: their outputs are gone at Replicate", async () => {
    const id = await recorded(alice);
    const now = Date.now() + RECONCILE_WINDOW_MS + 1_000;
    expect(await run({ now })).toMatchObject({ checked: 0, saved: 0 });
    expect(memory.predictions.get(id)?.status).toBe("starting");
  });

  it("counts a prediction the model does not know as failed and carries on with the rest", async () => {
    await memory.backend.rows.insertPrediction({
      id: "abcdefghijklmnopqrstuvwxyz",
      user_id: alice,
      model: runnable.reference,
      model_name: runnable.displayName,
      model_key: runnable.key,
      input: { prompt: "from another model" },
      seed: null,
      output_count: 1,
      status: "processing",
    });
    const kept = await recorded(alice);
    expect(await run()).toEqual({ checked: 2, saved: 1, running: 0, ended: 0, canceled: 0, failed: 1 });
    expect(memory.files.has(`${alice}/${kept}.png`)).toBe(true);
  });

  it("gives up on a save that hangs, so one stuck prediction cannot stall every run", async () => {
    const stuck = await recorded(alice);
    const fine = await recorded(bob);
    const upload = memory.backend.files.upload;
    memory.backend.files.upload = async (args) => (args.path.includes(stuck) ? new Promise(() => undefined) : upload(args));

    const result = await run({ settleTimeoutMs: 200 });
    expect(result).toEqual({ checked: 2, saved: 1, running: 0, ended: 0, canceled: 0, failed: 1 });
    expect(memory.files.has(`${bob}/${fine}.png`)).toBe(true);
  });
});

describe("reconcile's deadline for abandoned runs", () => {
  it("cancels at the model a prediction still running past the deadline, marks it, and leaves younger ones running", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-deadline-"));
    try {
      const slow = createLocalModel({ dataDir, durationMs: 40 * 60_000 });
      const runnable = await createModelCatalog({ engine: slow, entries: [{ key: LOCAL_MODEL_KEY, ref: "local" }], store: createMemorySchemaStore() }).resolve();
      const memory = createMemoryBackend();
      const owner = "6c0f3f8e-8d6e-4d0b-9a51-1b1a0b8e1c01";
      const ids: string[] = [];
      for (const prompt of ["left running", "just started"]) {
        const checked = runnable.validate({ prompt, width: 256, height: 256, num_inference_steps: 4 });
        if (!checked.ok) throw new Error("invalid input");
        const prediction = await slow.create({ target: runnable.target, input: checked.input });
        await memory.backend.rows.insertPrediction({
          id: prediction.id, user_id: owner, model: runnable.reference, model_name: runnable.displayName, model_key: runnable.key,
          input: checked.input, seed: null, output_count: 1, status: "processing",
        });
        ids.push(prediction.id);
      }
      // The first was created 16 minutes before this run; the second is fresh.
      const old = memory.predictions.get(ids[0])!;
      memory.predictions.set(ids[0], { ...old, created_at: new Date(Date.now() - 16 * 60_000).toISOString() });

      const result = await reconcileUnsavedImages({ backend: memory.backend, model: slow, maxBytes, deadlineMs: 15 * 60_000 });
      expect(result).toEqual({ checked: 2, saved: 0, running: 1, ended: 0, canceled: 1, failed: 0 });
      expect(memory.predictions.get(ids[0])).toMatchObject({ status: "canceled", error: "Stopped: still not finished after 15 minutes." });
      expect((await slow.get(ids[0])).status).toBe("canceled");
      expect((await slow.get(ids[1])).status).not.toBe("canceled");
      expect(memory.predictions.get(ids[1])?.status).not.toBe("canceled");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("spends no read on a running prediction the row heard about recently (webhooks, or a poll's read)", async () => {
    const memory = createMemoryBackend();
    const model = { get: vi.fn() } as unknown as ImageModel;
    const row = await memory.backend.rows.insertPrediction({
      id: "heardrecently0000000000000", user_id: "6c0f3f8e-8d6e-4d0b-9a51-1b1a0b8e1c01", model: "m", model_name: "M", model_key: null,
      input: { prompt: "p" }, seed: null, output_count: 1, status: "processing",
    });
    memory.predictions.set(row.id, { ...row, next_read_at: new Date(Date.now() + 20_000).toISOString() });
    expect(await reconcileUnsavedImages({ backend: memory.backend, model, maxBytes })).toMatchObject({ checked: 1, running: 1 });
    expect(model.get).not.toHaveBeenCalled();
  });
});

describe("in the running app (local mode)", () => {
  let app: LocalApp;
  let alice: TestSession;

  beforeAll(async () => {
    app = await startLocalApp({ LOCAL_MODEL_DURATION_MS: "0", RECONCILE_SECRET, RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "100" });
    alice = await app.signUp("alice@example.com");
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));
  afterEach(async () => {
    vi.unstubAllEnvs();
    stopReconcileSchedule();
    const audit = await auditStorage(app.dataDir);
    expect(audit.rowsWithoutFile).toEqual([]);
    expect(audit.filesWithoutRow).toEqual([]);
  });

  /** Started, and finished at the model, but nobody polled: the tab was closed at once. */
  async function abandoned(prompt = "nobody waited for this"): Promise<string> {
    const response = await create(jsonRequest("/api/replicate", { input: { prompt } }), params({}));
    expect(response.status).toBe(201);
    return (await response.json()).id;
  }
  const imageOf = async (id: string) => (await auditStorage(app.dataDir)).images.find((image) => image.prediction_id === id) ?? null;
  const reconcileRequest = (authorization?: string) =>
    reconcileRoute(new Request("http://localhost:3000/api/internal/reconcile", { method: "POST", headers: authorization ? { authorization } : {} }));

  it("on the next poll: a row already marked succeeded but without its image is saved", async () => {
    const id = await abandoned();
    // E.g. a webhook or a cancel recorded the success, and the save that should have followed did not happen.
    await app.context.serviceBackend().rows.updatePrediction({ id, userId: alice.user.id, status: "succeeded", error: null, completedAt: new Date().toISOString() });
    expect(await imageOf(id)).toBeNull();

    const body = await (await poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }))).json();
    expect(body).toMatchObject({ status: "succeeded", expectedImages: 1, images: [{ index: 0, url: `/api/files/${alice.user.id}/${id}.png` }] });
    expect(body.images).toHaveLength(1);
    expect(await imageOf(id)).not.toBeNull();
  });

  it("on server start: instrumentation's register() saves it in the background", async () => {
    const id = await abandoned();
    vi.stubEnv("NEXT_RUNTIME", "nodejs");
    await register();
    await vi.waitFor(async () => expect(await imageOf(id)).not.toBeNull(), { timeout: 10_000, interval: 50 });
  });

  it("register() does nothing on the edge runtime or during next build", async () => {
    const id = await abandoned();
    vi.stubEnv("NEXT_RUNTIME", "edge");
    await register();
    vi.stubEnv("NEXT_RUNTIME", "nodejs");
    vi.stubEnv("NEXT_PHASE", "phase-production-build");
    await register();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await imageOf(id)).toBeNull();
  });

  it("register() never makes start-up fail, even when the app cannot start", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { resetAppContextForTests } = await import("@/lib/server-context");
    const { resetServerEnvForTests } = await import("@/lib/env");
    const context = app.context;
    resetAppContextForTests();
    vi.stubEnv("NEXT_RUNTIME", "nodejs");
    vi.stubEnv("REPLICATE_MODEL", "not a model name");
    resetServerEnvForTests();
    try {
      await expect(register()).resolves.toBeUndefined();
      await vi.waitFor(() => expect(error).toHaveBeenCalledWith("Reconcile could not run", expect.anything()));
    } finally {
      vi.unstubAllEnvs();
      resetServerEnvForTests();
      (globalThis as { __sdxlAppContext?: Promise<unknown> }).__sdxlAppContext = Promise.resolve(context);
    }
  });

  it("by `npm run reconcile`: POST /api/internal/reconcile with the secret saves it and says what it did", async () => {
    const id = await abandoned();
    const response = await reconcileRequest(`Bearer ${RECONCILE_SECRET}`);
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(result).toMatchObject({ saved: result.checked, running: 0, ended: 0, canceled: 0, failed: 0 });
    expect(result.saved).toBeGreaterThanOrEqual(1);
    expect(await imageOf(id)).not.toBeNull();
  });

  it.each([
    ["no token", undefined],
    ["a wrong token", "Bearer not-the-secret"],
    ["the secret without Bearer", RECONCILE_SECRET],
  ])("refuses %s with 401 and does nothing", async (_label, authorization) => {
    const id = await abandoned();
    const response = await reconcileRequest(authorization);
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe("unauthorized");
    expect(await imageOf(id)).toBeNull();
    await reconcileRequest(`Bearer ${RECONCILE_SECRET}`);
  });

  it("answers Vercel Cron: GET with Authorization: Bearer <CRON_SECRET>, and nothing else", async () => {
    const cronSecret = "a-vercel-cron-secret-0123456789";
    app.context.env.cronSecret = cronSecret;
    try {
      const get = (authorization?: string) =>
        reconcileGet(new Request("http://localhost:3000/api/internal/reconcile", { headers: authorization ? { authorization } : {} }));
      const id = await abandoned();
      expect((await get()).status).toBe(401);
      expect((await get("Bearer not-the-cron-secret")).status).toBe(401);
      expect(await imageOf(id)).toBeNull();
      const response = await get(`Bearer ${cronSecret}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ failed: 0 });
      expect(await imageOf(id)).not.toBeNull();
    } finally {
      app.context.env.cronSecret = undefined;
    }
  });

  it("does not exist (404) when RECONCILE_SECRET is not set", async () => {
    const secret = app.context.env.reconcileSecret;
    app.context.env.reconcileSecret = undefined;
    try {
      const response = await reconcileRequest("Bearer ");
      expect(response.status).toBe(404);
    } finally {
      app.context.env.reconcileSecret = secret;
    }
  });
});

describe("scripts/reconcile.mjs", () => {
  let server: ReturnType<typeof createServer>;
  let seen: Array<string | undefined>;
  let origin: string;

  beforeAll(async () => {
    seen = [];
    server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      const ok = request.method === "POST" && request.url === "/api/internal/reconcile" && request.headers.authorization === `Bearer ${RECONCILE_SECRET}`;
      response.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(ok ? { checked: 3, saved: 2, running: 1, ended: 0, canceled: 0, failed: 0 } : { error: { code: "unauthorized", message: "A valid reconcile token is required." } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function runScript(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["scripts/reconcile.mjs", origin], {
        // Only what is given: no RECONCILE_SECRET inherited from the test process.
        env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", ...env },
        cwd: path.resolve(import.meta.dirname, "../.."),
      });
      let output = "";
      child.stdout.on("data", (chunk) => (output += chunk));
      child.stderr.on("data", (chunk) => (output += chunk));
      child.on("close", (code) => resolve({ code, output }));
    });
  }

  it("calls the endpoint with the secret and prints the counts", async () => {
    const { code, output } = await runScript({ RECONCILE_SECRET });
    expect(code).toBe(0);
    expect(output).toContain('"saved":2');
    expect(seen.at(-1)).toBe(`Bearer ${RECONCILE_SECRET}`);
  });

  it("exits 1 with the server's words when refused, and without calling when no secret is set", async () => {
    const refused = await runScript({ RECONCILE_SECRET: "wrong-secret" });
    expect(refused).toMatchObject({ code: 1, output: expect.stringContaining("401 A valid reconcile token is required.") });
    const calls = seen.length;
    const unset = await runScript({});
    expect(unset).toMatchObject({ code: 1, output: expect.stringContaining("RECONCILE_SECRET is not set") });
    expect(seen.length).toBe(calls);
  });
});
