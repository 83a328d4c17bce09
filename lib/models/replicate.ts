import "server-only";
import Replicate from "replicate";
import { DEFAULT_REPLICATE_VERSION, type ModelConfig } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { bodyWithin, raceDeadline, runWithin, startDeadline } from "@/lib/http/deadline";
import type { ImageModel, OutputDownload } from "@/lib/models/image-model";
import { allowedOutputUrl } from "@/lib/models/output-hosts";
import { toReplicateAppError, type ReplicateOperation } from "@/lib/models/replicate-errors";
import { createReplicateFetch, DEFAULT_READ_RETRY, isTimeout, withReadRetries, type RetryPolicy } from "@/lib/models/replicate-http";
import { toModelPrediction, toSdxlInput } from "@/lib/models/replicate-prediction";
import type { GenerationInput } from "@/lib/predictions/input-schema";
import { PREDICTION_ID_PATTERN } from "@/lib/predictions/prediction-id";
import type { ModelPrediction } from "@/lib/predictions/types";

export type ReplicateConfig = Extract<ModelConfig, { kind: "replicate" }>;

export type ReplicateModelOptions = {
  /** Defaults to the global fetch, looked up at call time (so msw can intercept it in tests). */
  fetch?: typeof fetch;
  /** Retry policy for get and cancel; create is never retried. */
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  createTimeoutMs?: number;
  downloadTimeoutMs?: number;
};

const SDXL_MODEL = "stability-ai/sdxl";

/** How the model is named in rows and on screen; see `modelNaming`. */
export function modelNaming(config: ReplicateConfig): { id: string; displayName: string; ref: string } {
  if (config.model) {
    return { id: config.model, displayName: config.model === SDXL_MODEL ? "Stable Diffusion XL" : config.model, ref: config.model };
  }
  const version = config.version ?? DEFAULT_REPLICATE_VERSION;
  const short = version.slice(0, 12);
  // A bare version id does not say whose model it is; only the default one is
  // known to be stability-ai/sdxl (the version the original seed pinned).
  if (version === DEFAULT_REPLICATE_VERSION) {
    return { id: `${SDXL_MODEL}:${short}`, displayName: "Stable Diffusion XL", ref: `${SDXL_MODEL}:${version}` };
  }
  return { id: `replicate:${short}`, displayName: `Replicate model ${short}`, ref: `version ${version}` };
}

/** The Replicate implementation of the image-model port, on the official client. */
export function createReplicateModel(config: ReplicateConfig, options: ReplicateModelOptions = {}): ImageModel {
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const client = new Replicate({
    auth: config.apiToken,
    baseUrl: config.baseUrl,
    fetch: createReplicateFetch(baseFetch),
    useFileOutput: false,
  });
  const naming = modelNaming(config);
  const target = config.model ? { model: config.model } : { version: config.version ?? DEFAULT_REPLICATE_VERSION };
  const retry: RetryPolicy = { ...DEFAULT_READ_RETRY, ...options.retry };
  const createTimeoutMs = options.createTimeoutMs ?? 30_000;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? 60_000;

  const fail = (operation: ReplicateOperation) => (error: unknown): never => {
    throw toReplicateAppError(error, { operation, modelRef: naming.ref });
  };
  const read = (operation: "get" | "cancel", id: string, call: (signal: AbortSignal) => Promise<unknown>) => {
    // The id goes into the URL path: anything but Replicate's id alphabet is simply unknown.
    if (!PREDICTION_ID_PATTERN.test(id)) return Promise.reject(new AppError("not_found", "Prediction not found."));
    return withReadRetries(call, retry, options.sleep)
      .then((json) => toModelPrediction(json, naming.id))
      .catch(fail(operation));
  };

  return {
    id: naming.id,
    displayName: naming.displayName,
    isLocalPreview: false,

    async create(input: GenerationInput, { webhookUrl }: { webhookUrl?: string } = {}): Promise<ModelPrediction> {
      // Exactly one request: create is not idempotent, and a create that timed
      // out may still have started (and be billed), so it is never re-sent.
      const json = await runWithin(createTimeoutMs, (signal) =>
        client.predictions.create({
          ...target,
          input: toSdxlInput(input),
          ...(webhookUrl ? { webhook: webhookUrl, webhook_events_filter: ["completed" as const] } : {}),
          signal,
        }),
      ).catch(fail("create"));
      return toModelPrediction(json, naming.id);
    },

    get: (id) => read("get", id, (signal) => client.predictions.get(id, { signal })),
    cancel: (id) => read("cancel", id, (signal) => client.predictions.cancel(id, { signal })),

    async openOutput(prediction: ModelPrediction): Promise<OutputDownload> {
      if (prediction.status !== "succeeded") throw new AppError("conflict", "This image is not ready to save yet.");
      const first = Array.isArray(prediction.output) ? prediction.output[0] : prediction.output;
      if (!first) throw new AppError("upstream_error", "The model finished without producing an image.");
      const url = allowedOutputUrl(first, config.baseUrl);
      if (!url) throw new AppError("upstream_error", "The model's output is not on a host this app downloads from.");
      return download(baseFetch, url, downloadTimeoutMs);
    },
  };
}

async function download(baseFetch: typeof fetch, url: URL, timeoutMs: number): Promise<OutputDownload> {
  // One deadline for the request and for reading the body, which the caller streams.
  const deadline = startDeadline(timeoutMs);
  let response: Response;
  try {
    // A redirect could lead off the allow-list, so none is followed.
    response = await raceDeadline(baseFetch(url, { redirect: "error", cache: "no-store", signal: deadline.signal }), deadline);
  } catch (error) {
    deadline.clear();
    if (isRedirectRefusal(error)) {
      throw new AppError("upstream_error", "The image download was redirected away from the model's output host.", { cause: error });
    }
    const message = isTimeout(error)
      ? "Downloading the image from Replicate took too long. Try saving again."
      : "Could not download the image from Replicate. Try saving again.";
    throw new AppError("upstream_unavailable", message, { retryAfter: 5, cause: error });
  }
  if (!response.ok || !response.body) {
    deadline.clear();
    // Not awaited: releasing the connection must not hold up the error.
    void response.body?.cancel().catch(() => undefined);
    // Replicate deletes API outputs an hour after the prediction.
    const gone = response.status === 404 || response.status === 410;
    throw new AppError(
      "upstream_error",
      gone
        ? "The image is no longer available on Replicate (outputs are deleted after an hour)."
        : `Could not download the image from Replicate (HTTP ${response.status}).`,
    );
  }
  const length = Number(response.headers.get("content-length"));
  return {
    body: bodyWithin(response.body, deadline),
    contentType: response.headers.get("content-type") ?? "application/octet-stream",
    contentLength: response.headers.has("content-length") && Number.isSafeInteger(length) && length >= 0 ? length : null,
  };
}

/** fetch with `redirect: "error"` fails with a TypeError whose cause says "unexpected redirect". */
function isRedirectRefusal(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = cause instanceof Error ? cause.message : String(cause ?? "");
  return /redirect/i.test(text);
}
