import { http, HttpResponse, type HttpHandler } from "msw";
import { encodePng } from "@/lib/models/png";

/**
 * Replicate's HTTP API as msw handlers, with the shapes its real answers have
 * (replicate.com/docs/reference/http), so the real `replicate` client runs in
 * tests. Every request is recorded for assertions; failures can be injected.
 */

export const REPLICATE_API = "https://api.replicate.com/v1";
export const DELIVERY_ORIGIN = "https://replicate.delivery";
export const TEST_TOKEN = "r8_test_0123456789abcdef";

export type RecordedRequest = { method: string; url: string; path: string; headers: Record<string, string>; body: unknown };
export type ReplicateRoute = "create" | "get" | "cancel" | "delivery";
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

export function createReplicateApi(options: { baseUrl?: string; token?: string; outputOrigin?: string; png?: Buffer } = {}) {
  const baseUrl = (options.baseUrl ?? REPLICATE_API).replace(/\/$/, "");
  const token = options.token ?? TEST_TOKEN;
  const outputOrigin = options.outputOrigin ?? DELIVERY_ORIGIN;
  const png = options.png ?? testPng();
  const requests: RecordedRequest[] = [];
  const predictions = new Map<string, FakePrediction>();
  const failures: Array<{ route: ReplicateRoute; failure: Failure }> = [];

  const outputUrl = (id: string) => `${outputOrigin}/xezq/${id}/out-0.png`;

  /** Moves a prediction one step along: starting → processing (tqdm logs) → succeeded. */
  function advance(prediction: FakePrediction) {
    if (prediction.status === "starting") {
      Object.assign(prediction, { status: "processing", started_at: new Date().toISOString(), logs: TQDM_HALF });
    } else if (prediction.status === "processing") succeed(prediction);
  }

  function succeed(prediction: FakePrediction) {
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

  /** Records, checks the token, applies an injected failure; null means "answer normally". */
  async function gate(route: ReplicateRoute, request: Request): Promise<Response | null> {
    await record(request);
    if (route !== "delivery" && request.headers.get("authorization") !== `Bearer ${token}`) {
      return HttpResponse.json(ERROR_BODIES[401] as object, { status: 401 });
    }
    return injected(route);
  }

  async function create(request: Request, model?: string): Promise<Response> {
    const body = (await request.clone().json()) as Record<string, unknown>;
    const prediction = addPrediction({
      model: model ?? "stability-ai/sdxl",
      version: model ? "hidden" : (body.version as string),
      input: body.input as Record<string, unknown>,
      ...(body.webhook ? { webhook: body.webhook, webhook_events_filter: body.webhook_events_filter } : {}),
    });
    return HttpResponse.json(prediction, { status: 201 });
  }

  const notFound = () => HttpResponse.json(ERROR_BODIES[404] as object, { status: 404 });

  const handlers: HttpHandler[] = [
    http.post(`${baseUrl}/predictions`, async ({ request }) => (await gate("create", request)) ?? create(request)),
    http.post(`${baseUrl}/models/:owner/:name/predictions`, async ({ request, params }) =>
      (await gate("create", request)) ?? create(request, `${params.owner}/${params.name}`),
    ),
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
    http.get(`${outputOrigin}/xezq/:id/out-0.png`, async ({ request, params }) => {
      const failed = await gate("delivery", request);
      if (failed) return failed;
      if (predictions.get(String(params.id))?.status !== "succeeded") return new HttpResponse(null, { status: 404 });
      // Streamed in chunks, as a CDN sends a large file.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < png.byteLength; offset += 1024) controller.enqueue(new Uint8Array(png.subarray(offset, offset + 1024)));
          controller.close();
        },
      });
      return new HttpResponse(body, {
        headers: { "content-type": "image/png", "content-length": String(png.byteLength) },
      });
    }),
  ];

  return {
    baseUrl,
    token,
    png,
    handlers,
    requests,
    predictions,
    outputUrl,
    addPrediction,
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
  if (request.method === "POST" && /^\/(models\/[^/]+\/[^/]+\/)?predictions$/.test(path)) return "create";
  if (request.method === "POST" && /^\/predictions\/[^/]+\/cancel$/.test(path)) return "cancel";
  if (request.method === "GET" && /^\/predictions\/[^/]+$/.test(path)) return "get";
  return null;
}
