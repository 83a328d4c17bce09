import { http, HttpResponse, type HttpHandler } from "msw";
import { createHash } from "node:crypto";
import sharp from "sharp";
import { encodePng } from "@/lib/models/png";
import { signedWebhook } from "@/tests/fixtures/replicate-webhook";
import type { ModelFixture, VersionBody } from "@/tests/fixtures/replicate-models";
import {
  COMMUNITY_MODEL_BY_NAME,
  INVALID_VERSION,
  MODEL_NOT_FOUND,
  VERSION_NOT_FOUND,
  outputSizeFor,
  outputsFor,
  validateLikeReplicate,
} from "@/tests/support/replicate-rules.mjs";
import { createRateLimiter } from "@/tests/support/replicate-limits.mjs";
import { logsFor, seedFor, stepsOf, tqdmLine, type Run } from "@/tests/support/replicate-runs.mjs";

/**
 * Replicate's HTTP API as msw handlers, with the shapes its real answers have
 * (replicate.com/docs/reference/http), so the real `replicate` client runs in
 * tests. Every request is recorded for assertions; failures can be injected.
 */

export const REPLICATE_API = "https://api.replicate.com/v1";
export const DELIVERY_ORIGIN = "https://replicate.delivery";
export const TEST_TOKEN = "r8_test_0123456789abcdef";

export type RecordedRequest = { method: string; url: string; path: string; headers: Record<string, string>; body: unknown };
export type ReplicateRoute = "create" | "get" | "cancel" | "delivery" | "model" | "files";
/** Replicate's webhook events (replicate.com/docs/topics/webhooks). */
export type WebhookEvent = "start" | "output" | "logs" | "completed";

/** A Replicate FileObject (POST /v1/files, replicate.com/docs/reference/http#files.create). */
export type FileObject = {
  id: string;
  name: string;
  content_type: string;
  size: number;
  etag: string;
  checksums: { sha256: string; md5: string };
  metadata: Record<string, unknown>;
  created_at: string;
  expires_at: string;
  urls: { get: string };
};
export type Failure = 402 | 404 | 422 | 429 | 500 | 503 | "network" | { status: number; body?: unknown; headers?: Record<string, string> };

export const ERROR_BODIES: Record<number, unknown> = {
  401: { title: "Unauthenticated", detail: "You did not pass a valid authentication token", status: 401 },
  402: {
    title: "Insufficient credit",
    detail: "You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit.",
    status: 402,
  },
  404: { title: "Not found", detail: "Not found.", status: 404 },
  422: { title: "Input validation failed", detail: "- input.width: Must be less than or equal to 1536", status: 422 },
  429: { detail: "Request was throttled. Your rate limit resets in ~30s." },
  500: { title: "Internal Server Error", detail: "Something went wrong.", status: 500 },
  503: { title: "Service Unavailable", detail: "Service temporarily unavailable.", status: 503 },
};

export type FakePrediction = Record<string, unknown> & { id: string; status: string };

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const newId = () => Array.from({ length: 26 }, () => ID_ALPHABET[Math.floor(Math.random() * ID_ALPHABET.length)]).join("");

/** A small real PNG (a gradient), as the delivery host serves it. */
export function testPng(width = 48, height = 32): Buffer {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set([(i * 7) & 255, (i >> 3) & 255, 200], i * 3);
  return encodePng({ width, height, pixels });
}

const TQDM_HALF = "Using seed: 4242\n  0%|          | 0/30 [00:00<?, ?it/s]\n 50%|█████     | 15/30 [00:02<00:02,  7.10it/s]";
const TQDM_DONE = `${TQDM_HALF}\n100%|██████████| 30/30 [00:04<00:00,  7.12it/s]`;

/** What the emulator decided at create time for a prediction of a model fixture. */
type Emulated = Run & { format: string; width: number; height: number };

const CONTENT_TYPES: Record<string, string> = { webp: "image/webp", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

/** Logs at half way and at the end, as the real model prints them (tests/support/replicate-runs.mjs). */
function logsAt(run: Emulated, done: boolean): string {
  const steps = stepsOf(run.fixture, run.input);
  const half = Math.floor(steps / 2);
  return logsFor(run, done ? [0, half, steps] : [0, half], done);
}

export function createReplicateApi(
  options: {
    baseUrl?: string;
    token?: string;
    outputOrigin?: string;
    png?: Buffer;
    /** Serve these models (GET model/version) and validate creates against their schemas like Replicate. */
    models?: ModelFixture[];
    /** Deployments by "owner/name", each running a model fixture's latest version. */
    deployments?: Record<string, ModelFixture>;
    /** Pixel scale of served images (1 = the model's real size); content is a flat colour either way. */
    scale?: number;
    /**
     * Send signed webhooks as Replicate does: `deliver` stands for the network
     * between Replicate and the app (usually the app's webhook handler).
     */
    webhooks?: { secret: string; deliver: (request: Request) => Promise<Response> };
    /**
     * Replicate's per-account limit on reads (everything but creates: 3,000 a
     * minute), scaled down: past `perWindow` reads in a window of `windowMs`,
     * 429 with Retry-After and Replicate's own body.
     */
    readLimit?: { perWindow: number; windowMs: number };
    /** Finish every prediction at create, before answering it (a model faster than the create's round trip). */
    finishOnCreate?: boolean;
  } = {},
) {
  const baseUrl = (options.baseUrl ?? REPLICATE_API).replace(/\/$/, "");
  const token = options.token ?? TEST_TOKEN;
  const outputOrigin = options.outputOrigin ?? DELIVERY_ORIGIN;
  const png = options.png ?? testPng();
  const requests: RecordedRequest[] = [];
  const predictions = new Map<string, FakePrediction>();
  const failures: Array<{ route: ReplicateRoute; failure: Failure }> = [];
  const deliveries: Array<{ id: string; event: WebhookEvent }> = [];

  const outputUrl = (id: string) => `${outputOrigin}/xezq/${id}/out-0.png`;
  const models = options.models ? new Map(options.models.map((fixture) => [fixture.ref, fixture])) : null;
  const deployments = new Map(Object.entries(options.deployments ?? {}));
  const scale = options.scale ?? 1;
  const emulated = new Map<string, Emulated>();
  /** What POST /v1/files received: the FileObject and the bytes, by file id. */
  const files = new Map<string, { object: FileObject; bytes: Uint8Array }>();
  const imageCache = new Map<string, Promise<Buffer>>();

  /** Moves a prediction one step along: starting → processing (tqdm logs) → succeeded. */
  function advance(prediction: FakePrediction) {
    if (prediction.status === "starting") {
      const run = emulated.get(prediction.id);
      Object.assign(prediction, { status: "processing", started_at: new Date().toISOString(), logs: run ? logsAt(run, false) : TQDM_HALF });
    } else if (prediction.status === "processing") succeed(prediction);
  }

  function succeed(prediction: FakePrediction) {
    const run = emulated.get(prediction.id);
    if (run) {
      const urls = Array.from({ length: run.count }, (_, i) => `${outputOrigin}/xezq/${prediction.id}/out-${i}.${run.format}`);
      Object.assign(prediction, {
        status: "succeeded",
        started_at: prediction.started_at ?? new Date().toISOString(),
        logs: logsAt(run, true),
        output: run.fixture.outputShape === "string" ? urls[0] : urls,
        completed_at: new Date().toISOString(),
        metrics: { image_count: run.count, predict_time: 4.2, total_time: 5.1 },
      });
      return;
    }
    Object.assign(prediction, {
      status: "succeeded",
      started_at: prediction.started_at ?? new Date().toISOString(),
      logs: TQDM_DONE,
      output: [outputUrl(prediction.id)],
      completed_at: new Date().toISOString(),
      metrics: { predict_time: 4.2, total_time: 5.1 },
    });
  }

  /** Adds a prediction as if created earlier, in the given state. */
  function addPrediction(fields: Partial<FakePrediction> & { status?: string } = {}): FakePrediction {
    const id = fields.id ?? newId();
    const prediction: FakePrediction = {
      id,
      model: "stability-ai/sdxl",
      version: "2b017d9b67edd2ee1401238df49d75da53c523f36e363881e057f5dc3ed3c5b2",
      input: { prompt: "a lighthouse at dusk" },
      logs: "",
      output: null,
      data_removed: false,
      error: null,
      source: "api",
      status: "starting",
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      urls: { get: `${baseUrl}/predictions/${id}`, cancel: `${baseUrl}/predictions/${id}/cancel`, web: `https://replicate.com/p/${id}` },
      ...fields,
    };
    if (prediction.status === "succeeded" && !fields.output) succeed(prediction);
    predictions.set(id, prediction);
    return prediction;
  }

  async function record(request: Request): Promise<void> {
    const text = await request.clone().text();
    let body: unknown = text === "" ? null : text;
    try {
      if (text) body = JSON.parse(text);
    } catch {
      // keep the text
    }
    const url = new URL(request.url);
    requests.push({ method: request.method, url: request.url, path: url.pathname, headers: Object.fromEntries(request.headers), body });
  }

  function injected(route: ReplicateRoute): Response | null {
    const index = failures.findIndex((entry) => entry.route === route);
    if (index === -1) return null;
    const [{ failure }] = failures.splice(index, 1);
    if (failure === "network") return HttpResponse.error();
    const spec = typeof failure === "number" ? { status: failure } : failure;
    return HttpResponse.json((spec.body ?? ERROR_BODIES[spec.status] ?? { detail: "error" }) as object, {
      status: spec.status,
      headers: spec.headers,
    });
  }

  // Replicate's read limit, by the rule the loopback stand-in also follows (tests/support/replicate-limits.mjs).
  const limiter = createRateLimiter(options.readLimit ? { windowMs: options.readLimit.windowMs, creates: Infinity, reads: options.readLimit.perWindow } : null);
  function throttled(route: ReplicateRoute): Response | null {
    if (route === "create" || route === "delivery") return null;
    const refused = limiter.take("reads");
    return refused ? HttpResponse.json(refused.body, { status: refused.status, headers: refused.headers }) : null;
  }

  /** Records, checks the token, applies the read limit and an injected failure; null means "answer normally". */
  async function gate(route: ReplicateRoute, request: Request): Promise<Response | null> {
    await record(request);
    if (route !== "delivery" && request.headers.get("authorization") !== `Bearer ${token}`) {
      return HttpResponse.json(ERROR_BODIES[401] as object, { status: 401 });
    }
    return throttled(route) ?? injected(route);
  }

  /**
   * Sends `event` for a prediction to its webhook, signed, as Replicate does,
   * if it was created with a webhook that asked for that event; null otherwise.
   * The body is the whole prediction as it stands.
   */
  async function emit(id: string, event: WebhookEvent): Promise<Response | null> {
    const prediction = predictions.get(id);
    const filter = (prediction?.webhook_events_filter as WebhookEvent[] | undefined) ?? ["start", "output", "logs", "completed"];
    if (!prediction?.webhook || !options.webhooks || !filter.includes(event)) return null;
    deliveries.push({ id, event });
    return options.webhooks.deliver(signedWebhook({ body: prediction, secret: options.webhooks.secret, url: String(prediction.webhook) }));
  }

  /** Moves a prediction to `processing` at `fraction` of its steps (tqdm logs), as a run does. */
  function setProgress(id: string, fraction: number) {
    const prediction = predictions.get(id)!;
    const lines = [0, Math.round(fraction * 30)].map((n) => tqdmLine(n, 30));
    Object.assign(prediction, { status: "processing", started_at: prediction.started_at ?? new Date().toISOString(), logs: `Using seed: 4242\n${lines.join("\n")}` });
  }

  async function create(request: Request, model?: string): Promise<Response> {
    const body = (await request.clone().json()) as Record<string, unknown>;
    const prediction = addPrediction({
      model: model ?? "stability-ai/sdxl",
      version: model ? "hidden" : (body.version as string),
      input: body.input as Record<string, unknown>,
      ...(body.webhook ? { webhook: body.webhook, webhook_events_filter: body.webhook_events_filter } : {}),
    });
    return answerCreate(prediction);
  }

  /** The create's answer; with finishOnCreate the model has finished, and said so by webhook, before it. */
  async function answerCreate(prediction: FakePrediction): Promise<Response> {
    const answer = structuredClone(prediction);
    if (options.finishOnCreate) {
      succeed(prediction);
      await emit(prediction.id, "completed");
    }
    return HttpResponse.json(answer, { status: 201 });
  }

  const notFound = () => HttpResponse.json(ERROR_BODIES[404] as object, { status: 404 });
  const refusal = (r: { status: number; body: unknown }) => HttpResponse.json(r.body as object, { status: r.status });
  const versionsOf = (fixture: ModelFixture): VersionBody[] => [fixture.model.latest_version as VersionBody, ...fixture.otherVersions];

  /** Finds the fixture and version for a create's `version`: a bare id or "owner/name:id". */
  function findVersion(ref: unknown): { fixture: ModelFixture; version: VersionBody } | null {
    if (typeof ref !== "string" || !models) return null;
    const [name, id] = ref.includes(":") ? ref.split(":", 2) : [null, ref];
    for (const fixture of models.values()) {
      if (name !== null && fixture.ref !== name) continue;
      const version = versionsOf(fixture).find((v) => v.id === id);
      if (version) return { fixture, version };
    }
    return null;
  }

  /** A create validated against `version`'s schema, as Replicate does before queueing anything. */
  async function createValidated(request: Request, fixture: ModelFixture, version: VersionBody, shownVersion: string): Promise<Response> {
    const body = (await request.clone().json()) as Record<string, unknown>;
    const checked = validateLikeReplicate(version.openapi_schema, body.input);
    if (!checked.ok) return HttpResponse.json(checked.body, { status: checked.status });
    const { count, format } = outputsFor(fixture, checked.input);
    const { width, height } = outputSizeFor(fixture, checked.input);
    const seed = seedFor(fixture, checked.input);
    const prediction = addPrediction({
      model: fixture.ref,
      version: shownVersion,
      input: checked.input,
      ...(body.webhook ? { webhook: body.webhook, webhook_events_filter: body.webhook_events_filter } : {}),
    });
    emulated.set(prediction.id, { fixture, input: checked.input, count, format, width, height, seed });
    return answerCreate(prediction);
  }

  async function createByVersion(request: Request): Promise<Response> {
    const body = (await request.clone().json()) as Record<string, unknown>;
    const found = findVersion(body.version);
    if (!found) return refusal(INVALID_VERSION);
    return createValidated(request, found.fixture, found.version, found.version.id);
  }

  async function createByModel(request: Request, ref: string): Promise<Response> {
    const fixture = models?.get(ref);
    if (!fixture) return refusal(MODEL_NOT_FOUND);
    if (!fixture.official) return refusal(COMMUNITY_MODEL_BY_NAME);
    // Official models hide their version in predictions.
    return createValidated(request, fixture, fixture.model.latest_version as VersionBody, "hidden");
  }

  /** A flat-colour image of the exact size (times `scale`): real bytes of the format, a few hundred of them. */
  function imageBytes(format: string, width: number, height: number): Promise<Buffer> {
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const key = `${format}:${w}x${h}`;
    let bytes = imageCache.get(key);
    if (!bytes) {
      if (format === "png") {
        bytes = Promise.resolve(encodePng({ width: w, height: h, pixels: new Uint8Array(w * h * 3).fill(96) }));
      } else {
        const image = sharp({ create: { width: w, height: h, channels: 3, background: { r: 96, g: 120, b: 200 } } });
        bytes = (format === "webp" ? image.webp({ quality: 80 }) : image.jpeg({ quality: 80 })).toBuffer();
      }
      imageCache.set(key, bytes);
    }
    return bytes;
  }

  const streamed = (bytes: Buffer, contentType: string) =>
    // Streamed in chunks, as a CDN sends a large file.
    new HttpResponse(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.byteLength; offset += 1024) controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + 1024)));
          controller.close();
        },
      }),
      { headers: { "content-type": contentType, "content-length": String(bytes.byteLength) } },
    );

  const modelHandlers: HttpHandler[] = models
    ? [
        http.get(`${baseUrl}/models/:owner/:name`, async ({ request, params }) => {
          const failed = await gate("model", request);
          if (failed) return failed;
          const fixture = models.get(`${params.owner}/${params.name}`);
          return fixture ? HttpResponse.json(fixture.model) : refusal(MODEL_NOT_FOUND);
        }),
        http.get(`${baseUrl}/models/:owner/:name/versions/:id`, async ({ request, params }) => {
          const failed = await gate("model", request);
          if (failed) return failed;
          const fixture = models.get(`${params.owner}/${params.name}`);
          if (!fixture) return refusal(MODEL_NOT_FOUND);
          const version = versionsOf(fixture).find((v) => v.id === params.id);
          return version ? HttpResponse.json(version) : refusal(VERSION_NOT_FOUND);
        }),
        // GET /v1/deployments/{owner}/{name}: the deployment and its current release (replicate.com/docs/reference/http#deployments.get).
        http.get(`${baseUrl}/deployments/:owner/:name`, async ({ request, params }) => {
          const failed = await gate("model", request);
          if (failed) return failed;
          const fixture = deployments.get(`${params.owner}/${params.name}`);
          if (!fixture) return refusal(MODEL_NOT_FOUND);
          return HttpResponse.json({
            owner: params.owner,
            name: params.name,
            current_release: {
              number: 1,
              model: fixture.ref,
              version: fixture.version,
              created_at: "2026-11-01T00:00:00.000Z",
              created_by: { type: "organization", username: params.owner, name: params.owner, github_url: null },
              configuration: { hardware: "gpu-l40s", min_instances: 0, max_instances: 1 },
            },
          });
        }),
        http.post(`${baseUrl}/deployments/:owner/:name/predictions`, async ({ request, params }) => {
          const failed = await gate("create", request);
          if (failed) return failed;
          const fixture = deployments.get(`${params.owner}/${params.name}`);
          if (!fixture) return refusal(MODEL_NOT_FOUND);
          return createValidated(request, fixture, fixture.model.latest_version as VersionBody, fixture.version);
        }),
      ]
    : [];

  /**
   * POST /v1/files as the official client sends it (lib/files.js): multipart
   * with a `content` part (the file, with its name and type) and a `metadata`
   * part (JSON). Answers 201 with a FileObject whose `urls.get` is what a
   * `uri` input takes; files expire after a day.
   */
  async function createFile(request: Request): Promise<Response> {
    const form = await request.formData().catch(() => null);
    const content = form?.get("content");
    const metadataPart = form?.get("metadata");
    if (!(content instanceof Blob)) {
      return HttpResponse.json({ title: "Invalid request", detail: "A file must be sent in the `content` field.", status: 400 }, { status: 400 });
    }
    const bytes = new Uint8Array(await content.arrayBuffer());
    const metadata = metadataPart instanceof Blob ? (JSON.parse(await metadataPart.text()) as Record<string, unknown>) : {};
    const id = newId();
    const created = new Date();
    const object: FileObject = {
      id,
      name: content instanceof File ? content.name : "blob",
      content_type: content.type || "application/octet-stream",
      size: bytes.byteLength,
      etag: createHash("md5").update(bytes).digest("hex"),
      checksums: { sha256: createHash("sha256").update(bytes).digest("hex"), md5: createHash("md5").update(bytes).digest("hex") },
      metadata,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + 24 * 3600_000).toISOString(),
      urls: { get: `${baseUrl}/files/${id}` },
    };
    files.set(id, { object, bytes });
    return HttpResponse.json(object, { status: 201 });
  }

  const handlers: HttpHandler[] = [
    ...modelHandlers,
    http.post(`${baseUrl}/files`, async ({ request }) => (await gate("files", request)) ?? createFile(request)),
    http.post(`${baseUrl}/predictions`, async ({ request }) => (await gate("create", request)) ?? (models ? createByVersion(request) : create(request))),
    http.post(`${baseUrl}/models/:owner/:name/predictions`, async ({ request, params }) => {
      const failed = await gate("create", request);
      if (failed) return failed;
      const ref = `${params.owner}/${params.name}`;
      return models ? createByModel(request, ref) : create(request, ref);
    }),
    http.get(`${baseUrl}/predictions/:id`, async ({ request, params }) => {
      const failed = await gate("get", request);
      if (failed) return failed;
      const prediction = predictions.get(String(params.id));
      if (!prediction) return notFound();
      advance(prediction);
      return HttpResponse.json(prediction);
    }),
    http.post(`${baseUrl}/predictions/:id/cancel`, async ({ request, params }) => {
      const failed = await gate("cancel", request);
      if (failed) return failed;
      const prediction = predictions.get(String(params.id));
      if (!prediction) return notFound();
      if (prediction.status === "starting" || prediction.status === "processing") {
        Object.assign(prediction, { status: "canceled", completed_at: new Date().toISOString() });
      }
      return HttpResponse.json(prediction);
    }),
    http.get(`${outputOrigin}/xezq/:id/:file`, async ({ request, params }) => {
      const failed = await gate("delivery", request);
      if (failed) return failed;
      const id = String(params.id);
      if (predictions.get(id)?.status !== "succeeded") return new HttpResponse(null, { status: 404 });
      const run = emulated.get(id);
      if (!run) return params.file === "out-0.png" ? streamed(png, "image/png") : new HttpResponse(null, { status: 404 });
      const match = /^out-(\d+)\.(\w+)$/.exec(String(params.file));
      if (!match || Number(match[1]) >= run.count || match[2] !== run.format) return new HttpResponse(null, { status: 404 });
      return streamed(await imageBytes(run.format, run.width, run.height), CONTENT_TYPES[run.format] ?? "application/octet-stream");
    }),
  ];

  return {
    baseUrl,
    token,
    png,
    handlers,
    requests,
    predictions,
    files,
    outputUrl,
    addPrediction,
    emit,
    setProgress,
    /** Finishes a prediction at Replicate (succeeded, with its outputs), without anyone asking. */
    finish: (id: string) => succeed(predictions.get(id)!),
    /** Every webhook sent, in order. */
    deliveries,
    /** The next `times` requests to `route` fail this way (in order of injection). */
    failNext(route: ReplicateRoute, failure: Failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ route, failure });
    },
    requestsTo(route: ReplicateRoute) {
      return requests.filter((r) => routeOf(r, baseUrl, outputOrigin) === route);
    },
  };
}

export type ReplicateApi = ReturnType<typeof createReplicateApi>;

function routeOf(request: RecordedRequest, baseUrl: string, outputOrigin: string): ReplicateRoute | null {
  if (request.url.startsWith(outputOrigin)) return "delivery";
  const path = request.url.slice(baseUrl.length);
  if (request.method === "POST" && /^\/((models|deployments)\/[^/]+\/[^/]+\/)?predictions$/.test(path)) return "create";
  if (request.method === "GET" && /^\/models\/[^/]+\/[^/]+(\/versions\/[^/]+)?$/.test(path)) return "model";
  if (request.method === "POST" && /^\/predictions\/[^/]+\/cancel$/.test(path)) return "cancel";
  if (request.method === "POST" && path === "/files") return "files";
  if (request.method === "GET" && /^\/predictions\/[^/]+$/.test(path)) return "get";
  return null;
}
