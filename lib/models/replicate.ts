import "server-only";
import Replicate from "replicate";
import type { ModelConfig } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { bodyWithin, raceDeadline, runWithin, startDeadline } from "@/lib/http/deadline";
import { outputList, type ImageModel, type ModelDescription, type OutputDownload, type RunTarget } from "@/lib/models/image-model";
import type { InputValues } from "@/lib/models/input-fields";
import { formatModelRef, type ModelRef } from "@/lib/models/model-ref";
import { allowedOutputUrl } from "@/lib/models/output-hosts";
import { modelConfigurationError, toReplicateAppError, type ReplicateOperation } from "@/lib/models/replicate-errors";
import {
  createReplicateFetch,
  DEFAULT_CREATE_THROTTLE,
  DEFAULT_READ_RETRY,
  isTimeout,
  withReadRetries,
  withThrottleRetries,
  type RetryPolicy,
  type ThrottlePolicy,
} from "@/lib/models/replicate-http";
import { toModelPrediction } from "@/lib/models/replicate-prediction";
import { PREDICTION_ID_PATTERN } from "@/lib/predictions/prediction-id";
import type { ModelPrediction } from "@/lib/predictions/types";

export type ReplicateConfig = Extract<ModelConfig, { kind: "replicate" }>;

export type ReplicateModelOptions = {
  /** Defaults to the global fetch, looked up at call time (so msw can intercept it in tests). */
  fetch?: typeof fetch;
  /** Retry policy for reads (get, cancel, describe). */
  retry?: Partial<RetryPolicy>;
  /** When a create waits out a short 429; it is never re-sent after any other failure. */
  createThrottle?: Partial<ThrottlePolicy>;
  sleep?: (ms: number) => Promise<void>;
  createTimeoutMs?: number;
  downloadTimeoutMs?: number;
};

type VersionJson = { id?: unknown; openapi_schema?: unknown };

/** The Replicate implementation of the image-model port, on the official client. */
export function createReplicateModel(config: Pick<ReplicateConfig, "apiToken" | "baseUrl">, options: ReplicateModelOptions = {}): ImageModel {
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const client = new Replicate({
    auth: config.apiToken,
    baseUrl: config.baseUrl,
    fetch: createReplicateFetch(baseFetch),
    useFileOutput: false,
  });
  const retry: RetryPolicy = { ...DEFAULT_READ_RETRY, ...options.retry };
  const createThrottle: ThrottlePolicy = { ...DEFAULT_CREATE_THROTTLE, ...options.createThrottle };
  const createTimeoutMs = options.createTimeoutMs ?? 30_000;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? 60_000;

  const fail = (operation: ReplicateOperation, modelRef: string) => (error: unknown): never => {
    throw toReplicateAppError(error, { operation, modelRef });
  };
  const read = (operation: "get" | "cancel", id: string, call: (signal: AbortSignal) => Promise<unknown>, policy: RetryPolicy = retry) => {
    // The id goes into the URL path: anything but Replicate's id alphabet is simply unknown.
    if (!PREDICTION_ID_PATTERN.test(id)) return Promise.reject(new AppError("not_found", "Prediction not found."));
    return withReadRetries(call, policy, options.sleep)
      .then((json) => toModelPrediction(json))
      .catch(fail(operation, "a prediction"));
  };
  const readVersion = (owner: string, name: string, version: string, signal: AbortSignal) =>
    client.models.versions.get(owner, name, version, { signal }) as Promise<VersionJson>;

  async function describe(ref: ModelRef): Promise<ModelDescription> {
    const described = async (signal: AbortSignal): Promise<ModelDescription> => {
      switch (ref.kind) {
        case "version": {
          const json = await readVersion(ref.owner, ref.name, ref.version, signal);
          return { model: `${ref.owner}/${ref.name}`, version: ref.version, openapiSchema: json.openapi_schema };
        }
        case "model": {
          const json = (await client.models.get(ref.owner, ref.name, { signal })) as { is_official?: unknown; latest_version?: VersionJson | null };
          const latest = json.latest_version;
          if (!latest || typeof latest.id !== "string") {
            throw modelConfigurationError(`${ref.owner}/${ref.name} has no published version to run.`);
          }
          // Only official models run by name; Replicate would refuse every create.
          if (json.is_official === false) {
            throw modelConfigurationError(
              `${ref.owner}/${ref.name} is a community model: Replicate runs it only at a version. Write REPLICATE_MODEL=${ref.owner}/${ref.name}:${latest.id} (its newest version) instead.`,
            );
          }
          return { model: `${ref.owner}/${ref.name}`, version: latest.id, openapiSchema: latest.openapi_schema };
        }
        case "deployment": {
          // A deployment runs its current release: that release's version says what it takes.
          const json = (await client.deployments.get(ref.owner, ref.name, { signal })) as {
            current_release?: { model?: unknown; version?: unknown } | null;
          };
          const release = json.current_release;
          const [owner, name] = typeof release?.model === "string" ? release.model.split("/") : [];
          if (!owner || !name || typeof release?.version !== "string") {
            throw modelConfigurationError(`deployment:${ref.owner}/${ref.name} has no release to run.`);
          }
          const version = await readVersion(owner, name, release.version, signal);
          return { model: `${owner}/${name}`, version: release.version, openapiSchema: version.openapi_schema };
        }
      }
    };
    return withReadRetries(described, retry, options.sleep).catch(fail("describe", formatModelRef(ref)));
  }

  return {
    isLocalPreview: false,

    async describe(ref) {
      if (ref === "local") throw new AppError("model_unavailable", "Replicate does not run the local preview model.");
      return describe(ref);
    },

    async create({ target, input, webhookUrl }: { target: RunTarget; input: InputValues; webhookUrl?: string }): Promise<ModelPrediction> {
      // start, then logs (at most about twice a second) and completed: the row follows the run without reads.
      const webhook = webhookUrl ? { webhook: webhookUrl, webhook_events_filter: ["start" as const, "logs" as const, "completed" as const] } : {};
      const label = targetLabel(target);
      // Create is not idempotent, and a create that timed out or failed may
      // still have started (and be billed), so it is never re-sent, except
      // after a short 429, which Replicate answers before starting anything.
      const send = () => runWithin(createTimeoutMs, (signal) => {
        switch (target.kind) {
          case "version":
            return client.predictions.create({ version: target.version, input, ...webhook, signal });
          case "model":
            return client.predictions.create({ model: `${target.owner}/${target.name}`, input, ...webhook, signal });
          case "deployment":
            return client.deployments.predictions.create(target.owner, target.name, { input, ...webhook, signal });
          case "local":
            throw new AppError("model_unavailable", "Replicate does not run the local preview model.");
        }
      });
      const json = await withThrottleRetries(send, createThrottle, options.sleep).catch(fail("create", label));
      return toModelPrediction(json);
    },

    // Replicate's Files API, as the official client itself uses for file inputs
    // (lib/util.js transformFileInputsToReplicateFileURLs): the file is private
    // to this API token, and `urls.get` is what a `uri` input takes. Chosen over
    // a signed Storage URL because it works whatever the backend (local disk is
    // not reachable from Replicate), sends Replicate no URL that anyone holding
    // it could open, and keeps the app's storage out of Replicate's logs. Sent
    // once, never retried.
    async uploadInputFile({ bytes, contentType, filename }) {
      const file = new File([bytes.slice()], filename, { type: contentType });
      const json = (await runWithin(createTimeoutMs, (signal) => client.files.create(file, {}, { signal })).catch(fail("create", "the Files API"))) as {
        urls?: { get?: unknown };
      };
      const url = json.urls?.get;
      if (typeof url !== "string") throw new AppError("upstream_error", "Replicate did not accept the input image.");
      return url;
    },

    get: (id, { waitOutThrottle = true } = {}) => read("get", id, (signal) => client.predictions.get(id, { signal }), { ...retry, waitOutThrottle }),
    cancel: (id) => read("cancel", id, (signal) => client.predictions.cancel(id, { signal })),

    async openOutput(prediction: ModelPrediction, index: number): Promise<OutputDownload> {
      if (prediction.status !== "succeeded") throw new AppError("conflict", "This image is not ready to save yet.");
      const source = outputList(prediction.output)[index];
      if (!source) throw new AppError("upstream_error", "The model finished without producing this image.");
      const url = allowedOutputUrl(source, config.baseUrl);
      if (!url) throw new AppError("upstream_error", "The model's output is not on a host this app downloads from.");
      return download(baseFetch, url, downloadTimeoutMs);
    },
  };
}

function targetLabel(target: RunTarget): string {
  switch (target.kind) {
    case "version":
      return `version ${target.version}`;
    case "model":
      return `${target.owner}/${target.name}`;
    case "deployment":
      return `deployment:${target.owner}/${target.name}`;
    case "local":
      return "the local preview model";
  }
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
