// A Replicate on loopback for the browser tests: a real HTTP server the app
// reaches through the official client (REPLICATE_BASE_URL), serving the fixture
// models of tests/fixtures/replicate-models as Replicate serves them:
// - GET /v1/models/{o}/{n}, .../versions/{id}, /v1/deployments/{o}/{n}: the fixture bodies;
// - creates by version (POST /v1/predictions, a bare id or "owner/name:id"), by
//   name (official models only) and through a deployment, each checked with
//   validateLikeReplicate: the same 422 bodies Replicate sends;
// - predictions that move on with the clock: "starting" for `queueMs`, then
//   "processing" with the model's own logs step by step (tqdm and `Using seed: N`
//   for cog-flux and cog-sdxl, nothing for closed models) for `runMs`, then
//   "succeeded" with as many outputs as asked for, in the model's format and at
//   its real pixel size (outputsFor / outputSizeFor), as one URL or a list;
// - the output files on its own origin, under the path layout of replicate.delivery;
// - Replicate's per-account limits (tests/support/replicate-limits.mjs): creates
//   and other calls each on a budget per window, 429 with Retry-After past it;
// - signed webhooks (with `webhookSecret`) to a create's `webhook`, for the events
//   in its `webhook_events_filter`: start, output, logs (at most every 500 ms)
//   and completed (retried, as the only event Replicate retries);
// - counts of what it was asked: reads of each prediction, throttled requests.
// The rules live in tests/support/replicate-rules.mjs, replicate-runs.mjs and
// replicate-limits.mjs; this file only serves them over HTTP and keeps time.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import sharp from "sharp";
import { loadModelFixtures } from "../../fixtures/replicate-models/traits.mjs";
import {
  COMMUNITY_MODEL_BY_NAME,
  INVALID_VERSION,
  MODEL_NOT_FOUND,
  VERSION_NOT_FOUND,
  outputSizeFor,
  outputsFor,
  validateLikeReplicate,
} from "../../support/replicate-rules.mjs";
import { createRateLimiter, REPLICATE_LIMITS } from "../../support/replicate-limits.mjs";
import { logsFor, seedFor, stepsOf } from "../../support/replicate-runs.mjs";
import { createWebhookSender } from "./replicate-webhook-sender.mjs";

export const STAND_IN_TOKEN = "r8_standIn0123456789abcdefghijklmnop";

const UNAUTHENTICATED = { title: "Unauthenticated", detail: "You did not pass a valid authentication token", status: 401 };
const NOT_FOUND = { title: "Not found", detail: "Not found.", status: 404 };
const CONTENT_TYPES = { webp: "image/webp", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const newId = () => Array.from(randomBytes(26), (byte) => ID_ALPHABET[byte % 36]).join("");

const isCreatePath = (path) => /^\/v1\/(models\/[^/]+\/[^/]+\/|deployments\/[^/]+\/[^/]+\/)?predictions$/.test(path);

/**
 * A horizontal gradient in a colour of its own per output, so two outputs of one
 * run differ, encoded in `format` at exactly width × height.
 */
async function gradient(format, width, height, index) {
  const [r, g, b] = [
    [70, 110, 200],
    [200, 120, 70],
    [80, 170, 110],
    [160, 90, 180],
  ][index % 4];
  const row = Buffer.alloc(width * 3);
  for (let x = 0; x < width; x++) {
    const shade = 0.45 + (0.55 * x) / Math.max(1, width - 1);
    row.set([Math.round(r * shade), Math.round(g * shade), Math.round(b * shade)], x * 3);
  }
  const pixels = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(pixels, y * row.length);
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  const encoded = format === "png" ? image.png() : format === "webp" ? image.webp({ quality: 80 }) : image.jpeg({ quality: 80 });
  return encoded.toBuffer();
}

/**
 * Starts the stand-in on 127.0.0.1; `baseUrl` is what REPLICATE_BASE_URL should be.
 * - `models`: refs ("owner/name") of the fixtures to serve, all of them by default;
 * - `deployments`: { "owner/name": model ref } run at that model's latest version;
 * - `queueMs`, `runMs`: how long a prediction is starting, then processing;
 * - `outputFor(run, index)`: other bytes to serve for an output ({ bytes, contentType }), e.g. the bench's;
 * - `files`: extra files served at /files/{name} (name → bytes), outside any prediction;
 * - `limits`: { windowMs, creates, reads } per account, Replicate's own by
 *   default (REPLICATE_LIMITS); scaled down for a load test, null for none;
 * - `webhookSecret`: the signing secret (`whsec_…`); without it no webhook is sent.
 */
export async function startReplicateStandIn({
  models,
  deployments = {},
  token = STAND_IN_TOKEN,
  queueMs = 300,
  runMs = 2500,
  outputFor,
  files,
  limits = REPLICATE_LIMITS,
  webhookSecret,
} = {}) {
  const limiter = createRateLimiter(limits);
  /** GET /v1/predictions/{id} that reached the stand-in, throttled or not, by prediction id. */
  const reads = new Map();
  /** Requests answered 429, by budget. */
  const throttled = { creates: 0, reads: 0 };
  const fixtures = new Map(loadModelFixtures().map((fixture) => [fixture.ref, fixture]));
  if (models) for (const ref of [...fixtures.keys()]) if (!models.includes(ref)) fixtures.delete(ref);
  const predictions = new Map();
  const images = new Map();
  /** Every request that reached the stand-in: method, path and JSON body. */
  const requests = [];
  let origin = "";

  const versionsOf = (fixture) => [fixture.model.latest_version, ...fixture.otherVersions];

  function findVersion(ref) {
    if (typeof ref !== "string") return null;
    const [name, id] = ref.includes(":") ? ref.split(":", 2) : [null, ref];
    for (const fixture of fixtures.values()) {
      if (name !== null && fixture.ref !== name) continue;
      const version = versionsOf(fixture).find((candidate) => candidate.id === id);
      if (version) return { fixture, version };
    }
    return null;
  }

  function create(body, fixture, version, shownVersion) {
    const checked = validateLikeReplicate(version.openapi_schema, body.input);
    if (!checked.ok) return [checked.status, checked.body];
    const input = checked.input;
    const { count, format } = outputsFor(fixture, input);
    const id = newId();
    const run = { fixture, input, count, format, ...outputSizeFor(fixture, input), seed: seedFor(fixture, input), steps: stepsOf(fixture, input) };
    const prediction = {
      id,
      model: fixture.ref,
      version: shownVersion,
      input,
      logs: "",
      output: null,
      data_removed: false,
      error: null,
      source: "api",
      status: "starting",
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      urls: { get: `${origin}/v1/predictions/${id}`, cancel: `${origin}/v1/predictions/${id}/cancel`, web: `https://replicate.com/p/${id}` },
    };
    const entry = { prediction, run, createdAt: Date.now() };
    if (typeof body.webhook === "string") {
      prediction.webhook = body.webhook;
      // Without a filter Replicate sends every event.
      prediction.webhook_events_filter = Array.isArray(body.webhook_events_filter) ? body.webhook_events_filter : ["start", "output", "logs", "completed"];
    }
    predictions.set(id, entry);
    webhooks.follow(entry);
    return [201, { ...prediction }];
  }

  /** The prediction as it stands now: where the clock has taken it, unless it was canceled. */
  function current(entry) {
    const { prediction, run } = entry;
    if (prediction.status === "canceled" || prediction.status === "succeeded") return prediction;
    const elapsed = Date.now() - entry.createdAt;
    if (elapsed < queueMs) return prediction;
    const startedAt = new Date(entry.createdAt + queueMs).toISOString();
    if (elapsed < queueMs + runMs) {
      const done = Math.min(run.steps, Math.floor(((elapsed - queueMs) / runMs) * run.steps));
      const shown = Array.from({ length: done + 1 }, (_, n) => n);
      return Object.assign(prediction, { status: "processing", started_at: startedAt, logs: logsFor(run, shown, false) });
    }
    const urls = Array.from({ length: run.count }, (_, index) => `${origin}/xezq/${prediction.id}/out-${index}.${run.format}`);
    return Object.assign(prediction, {
      status: "succeeded",
      started_at: startedAt,
      completed_at: new Date(entry.createdAt + queueMs + runMs).toISOString(),
      logs: logsFor(run, Array.from({ length: run.steps + 1 }, (_, n) => n), true),
      output: run.fixture.outputShape === "string" ? urls[0] : urls,
      metrics: { image_count: run.count, predict_time: runMs / 1000, total_time: (queueMs + runMs) / 1000 },
    });
  }

  const webhooks = createWebhookSender({ secret: webhookSecret, current, queueMs, runMs });

  function outputBytes(entry, index) {
    const { run } = entry;
    const own = outputFor?.(run, index);
    if (own) return Promise.resolve(own);
    const key = `${run.format}:${run.width}x${run.height}:${index % 4}`;
    if (!images.has(key)) images.set(key, gradient(run.format, run.width, run.height, index));
    return images.get(key).then((bytes) => ({ bytes, contentType: CONTENT_TYPES[run.format] ?? "application/octet-stream" }));
  }

  async function route(method, path, body) {
    let match;
    if (method === "GET" && (match = /^\/v1\/models\/([^/]+)\/([^/]+)$/.exec(path))) {
      const fixture = fixtures.get(`${match[1]}/${match[2]}`);
      return fixture ? [200, fixture.model] : [MODEL_NOT_FOUND.status, MODEL_NOT_FOUND.body];
    }
    if (method === "GET" && (match = /^\/v1\/models\/([^/]+)\/([^/]+)\/versions\/([^/]+)$/.exec(path))) {
      const fixture = fixtures.get(`${match[1]}/${match[2]}`);
      if (!fixture) return [MODEL_NOT_FOUND.status, MODEL_NOT_FOUND.body];
      const version = versionsOf(fixture).find((candidate) => candidate.id === match[3]);
      return version ? [200, version] : [VERSION_NOT_FOUND.status, VERSION_NOT_FOUND.body];
    }
    if ((match = /^\/v1\/deployments\/([^/]+)\/([^/]+)(\/predictions)?$/.exec(path))) {
      const name = `${match[1]}/${match[2]}`;
      const fixture = fixtures.get(deployments[name]);
      if (!fixture) return [MODEL_NOT_FOUND.status, MODEL_NOT_FOUND.body];
      if (method === "POST" && match[3]) return create(body, fixture, fixture.model.latest_version, fixture.version);
      if (method === "GET" && !match[3]) {
        // GET /v1/deployments/{owner}/{name}: the deployment and its current release.
        return [
          200,
          {
            owner: match[1],
            name: match[2],
            current_release: {
              number: 1,
              model: fixture.ref,
              version: fixture.version,
              created_at: "2026-11-01T00:00:00.000Z",
              created_by: { type: "organization", username: match[1], name: match[1], github_url: null },
              configuration: { hardware: "gpu-l40s", min_instances: 0, max_instances: 1 },
            },
          },
        ];
      }
    }
    if (method === "POST" && path === "/v1/predictions") {
      const found = findVersion(body?.version);
      return found ? create(body, found.fixture, found.version, found.version.id) : [INVALID_VERSION.status, INVALID_VERSION.body];
    }
    if (method === "POST" && (match = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(path))) {
      const fixture = fixtures.get(`${match[1]}/${match[2]}`);
      if (!fixture) return [MODEL_NOT_FOUND.status, MODEL_NOT_FOUND.body];
      if (!fixture.official) return [COMMUNITY_MODEL_BY_NAME.status, COMMUNITY_MODEL_BY_NAME.body];
      // Official models hide their version in predictions.
      return create(body, fixture, fixture.model.latest_version, "hidden");
    }
    if ((match = /^\/v1\/predictions\/([a-z0-9]+)(\/cancel)?$/.exec(path))) {
      const entry = predictions.get(match[1]);
      if (!entry) return [404, NOT_FOUND];
      const prediction = current(entry);
      if (method === "POST" && match[2] && (prediction.status === "starting" || prediction.status === "processing")) {
        Object.assign(prediction, { status: "canceled", completed_at: new Date().toISOString() });
        webhooks.follow(entry);
      }
      if (method === "GET" && !match[2]) return [200, prediction];
      if (method === "POST" && match[2]) return [200, prediction];
    }
    return [404, NOT_FOUND];
  }

  async function serveFile(path, response) {
    const extra = /^\/files\/([^/]+)$/.exec(path);
    const bytes = extra ? files?.(extra[1]) : null;
    if (bytes) {
      response.writeHead(200, { "content-type": "image/png", "content-length": bytes.length });
      response.end(bytes);
      return true;
    }
    const match = /^\/xezq\/([a-z0-9]+)\/out-(\d+)\.(\w+)$/.exec(path);
    if (!match) return false;
    const entry = predictions.get(match[1]);
    const index = Number(match[2]);
    if (!entry || current(entry).status !== "succeeded" || index >= entry.run.count || match[3] !== entry.run.format) {
      response.writeHead(404).end();
      return true;
    }
    const file = await outputBytes(entry, index);
    response.writeHead(200, { "content-type": file.contentType, "content-length": file.bytes.length });
    response.end(file.bytes);
    return true;
  }

  const server = createServer(async (request, response) => {
    const path = new URL(request.url, "http://stand-in").pathname;
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const text = Buffer.concat(chunks).toString("utf8");
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    requests.push({ method: request.method, path, body });
    const send = (status, json, headers = {}) => {
      const payload = JSON.stringify(json);
      response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers });
      response.end(payload);
    };
    try {
      // Output files need no token, as on replicate.delivery.
      if (request.method === "GET" && (await serveFile(path, response))) return;
      if (request.headers.authorization !== `Bearer ${token}`) return send(401, UNAUTHENTICATED);
      const read = request.method === "GET" ? /^\/v1\/predictions\/([a-z0-9]+)$/.exec(path) : null;
      if (read) reads.set(read[1], (reads.get(read[1]) ?? 0) + 1);
      const kind = request.method === "POST" && isCreatePath(path) ? "creates" : "reads";
      const refused = limiter.take(kind);
      if (refused) {
        throttled[kind] += 1;
        return send(refused.status, refused.body, refused.headers);
      }
      const [status, json] = await route(request.method, path, body);
      send(status, json);
    } catch (error) {
      send(500, { title: "Internal Server Error", detail: String(error?.message ?? error), status: 500 });
    }
  });

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}/v1`,
    token,
    requests,
    /** The creates that reached a model (by version, name or deployment), in order. */
    creates: () => requests.filter((r) => r.method === "POST" && isCreatePath(r.path)),
    /** How many times prediction `id` was read (GET /v1/predictions/{id}), throttled reads included. */
    readsOf: (id) => reads.get(id) ?? 0,
    /** Requests refused with 429, by budget ("creates", "reads"). */
    throttled,
    /** Every webhook delivery attempt: { predictionId, event, status } (status 0: no answer). */
    deliveries: webhooks.deliveries,
    /** Resolves once no webhook is waiting to be sent (retries included). */
    webhooksSettled: () => webhooks.settled(),
    /** What the app must be given to use the stand-in. */
    env: (extra = {}) => ({ REPLICATE_API_TOKEN: token, REPLICATE_BASE_URL: `${origin}/v1`, ...extra }),
    close: () =>
      new Promise((resolve) => {
        webhooks.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
