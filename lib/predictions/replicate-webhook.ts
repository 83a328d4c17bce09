import "server-only";
import type { ServerEnv } from "@/lib/env";
import { AppError, asAppError, errorResponse } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { toModelPrediction } from "@/lib/models/replicate-prediction";
import { observationOf } from "@/lib/predictions/observation";
import type { Backend } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { nextReadAfter } from "@/lib/predictions/read-schedule";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import type { ModelPrediction } from "@/lib/predictions/types";
import { verifyWebhookSignature } from "@/lib/predictions/webhook-signature";

/** Replicate signs the time of sending; older (or future) deliveries are replays or clock trouble. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type ReplicateWebhookDeps = {
  /**
   * REPLICATE_WEBHOOK_SIGNING_SECRET (and, while rotating, the previous one);
   * a delivery signed with any of them is accepted. None: the endpoint does not exist (404).
   */
  secrets: string[];
  model: ImageModel;
  /** The service backend: no session, so every call passes the owner's id. */
  backend: Backend;
  maxBytes: number;
  /** Runs the work after answering (Next's `after`); without it the work is awaited first. */
  defer?: (task: () => Promise<void>) => void;
  seen?: SeenWebhookIds;
  now?: () => number;
};

/** The secrets a delivery may be signed with: the current one and, while rotating, the previous one. */
export function webhookSecretsOf(env: ServerEnv): string[] {
  if (env.model.kind !== "replicate") return [];
  return [env.model.webhookSigningSecret, env.model.previousWebhookSigningSecret].filter((secret): secret is string => Boolean(secret));
}

const ok = (body: Record<string, unknown> = {}) => Response.json({ ok: true, ...body }, { headers: { "cache-control": "no-store" } });
const refuse = (code: "unauthorized" | "bad_request" | "not_found" | "payload_too_large", message: string) =>
  errorResponse(new AppError(code, message));

/**
 * Verifies and handles one Replicate webhook (`start`, `logs`, `output` or
 * `completed`; each carries the whole prediction). Only a verified, fresh,
 * first delivery does any work: it records status, progress, error and, once
 * final, outputs on the prediction's row, which is what polls then answer
 * from, and on `succeeded` saves the images with the same idempotent save the
 * polls run. A delivery for a prediction whose row is not written yet (a fast
 * model can finish before its create has answered) is kept in the inbox and
 * applied when the row exists: answered 200 and dropped, it would be lost,
 * since Replicate does not send it again.
 */
export async function handleReplicateWebhook(request: Request, deps: ReplicateWebhookDeps): Promise<Response> {
  if (deps.secrets.length === 0) return refuse("not_found", "Not found.");
  const now = deps.now?.() ?? Date.now();
  const id = request.headers.get("webhook-id");
  const timestamp = request.headers.get("webhook-timestamp");
  const signature = request.headers.get("webhook-signature");
  if (!id || !timestamp || !signature) return refuse("unauthorized", "Missing webhook signature headers.");
  // The signature covers the timestamp but says nothing of its age: the replay window is ours to enforce.
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    return refuse("unauthorized", "Webhook timestamp is outside the accepted window.");
  }

  const body = await readCappedText(request, MAX_BODY_BYTES);
  if (body === null) return refuse("payload_too_large", "Webhook body is too large.");
  if (body === "") return refuse("bad_request", "Webhook body is empty.");
  if (!verifyWebhookSignature({ id, timestamp, body, header: signature, secrets: deps.secrets })) {
    return refuse("unauthorized", "Invalid webhook signature.");
  }

  const seen = deps.seen ?? defaultSeenIds();
  if (seen.has(id, now)) return ok({ duplicate: true });

  let json: unknown;
  let prediction: ModelPrediction;
  try {
    json = JSON.parse(body);
    prediction = toModelPrediction(json);
  } catch {
    return refuse("bad_request", "Webhook body is not a Replicate prediction.");
  }
  seen.add(id, now);

  const save = async (userId: string, saved: ModelPrediction) => {
    const fresh = await requireOwnPrediction(deps.backend.rows, { id: saved.id, userId });
    // The verified body is Replicate's own answer: no need to read the prediction again.
    await saveGeneratedImages({ userId, predictionId: saved.id, backend: deps.backend, model: deps.model, maxBytes: deps.maxBytes, fresh: { ...fresh, prediction: saved } });
  };

  let outcome: { userId: string; succeeded: ModelPrediction | null } | null;
  try {
    const userId = await deps.backend.rows.getPredictionOwner({ id: prediction.id });
    if (userId) {
      await recordDelivery({ backend: deps.backend, userId, prediction, now });
      outcome = { userId, succeeded: prediction.status === "succeeded" ? prediction : null };
    } else {
      await deps.backend.rows.keepEarlyWebhook({ webhookId: id, predictionId: prediction.id, body: json });
      // The create may have written its row (and looked in the inbox) meanwhile: look again, so one of the two applies it.
      outcome = await applyInbox({ backend: deps.backend, predictionId: prediction.id, now });
      if (!outcome) {
        // Not written yet, or not this app's (another app on the same account): kept for an hour, then pruned.
        console.info(`Replicate webhook for ${prediction.id} arrived before its row: kept until the row is written.`);
        return ok({ kept: true });
      }
    }
  } catch (error) {
    seen.delete(id); // Let Replicate's retry of this delivery through.
    return errorResponse(asAppError(error));
  }

  const { userId, succeeded } = outcome;
  if (!succeeded) return ok();
  if (deps.defer) {
    deps.defer(() => save(userId, succeeded).catch((error) => console.error(`Replicate webhook for ${prediction.id}: saving failed`, error)));
    return ok();
  }
  try {
    await save(userId, succeeded);
    return ok();
  } catch (error) {
    const appError = asAppError(error);
    if (appError.status < 500 && appError.status !== 429) {
      // Retrying will not help (not an image, not on an allowed host): the poll path reports it.
      console.warn(`Replicate webhook for ${prediction.id}: ${appError.message}`);
      return ok({ saved: false });
    }
    seen.delete(id); // Let Replicate's retry of this delivery through.
    return errorResponse(appError);
  }
}

/** Records one delivery on the row, unless the row already knows something newer. */
async function recordDelivery({ backend, userId, prediction, now }: { backend: Backend; userId: string; prediction: ModelPrediction; now: number }) {
  const row = await backend.rows.getPrediction({ id: prediction.id, userId });
  if (!row) return;
  // Webhooks are flowing: the row needs no read until they have been silent for a while.
  const nextReadAt = nextReadAfter({ createdAt: row.created_at, now, webhooks: true });
  await backend.rows.recordObservation({ id: prediction.id, userId, observation: observationOf(prediction, { now, nextReadAt, withOutput: true }) });
}

/**
 * Applies the kept deliveries of a prediction whose row now exists, oldest
 * state first, and takes them out of the inbox. Null when the row does not
 * exist yet (they stay kept). Service backend only.
 */
async function applyInbox({ backend, predictionId, now }: { backend: Backend; predictionId: string; now: number }) {
  const userId = await backend.rows.getPredictionOwner({ id: predictionId });
  if (!userId) return null;
  const kept = await backend.rows.takeEarlyWebhooks({ predictionId });
  let succeeded: ModelPrediction | null = null;
  for (const body of kept) {
    const prediction = toModelPrediction(body);
    await recordDelivery({ backend, userId, prediction, now });
    if (prediction.status === "succeeded") succeeded = prediction;
  }
  return { userId, succeeded };
}

/**
 * Called once the create has written its row: applies any delivery that beat
 * it there and saves the images if one said `succeeded`, so a fast model's
 * result is kept even if nobody ever polls.
 */
export async function applyEarlyWebhooks({
  backend,
  model,
  predictionId,
  maxBytes,
  now = Date.now(),
}: {
  backend: Backend;
  model: ImageModel;
  predictionId: string;
  maxBytes: number;
  now?: number;
}): Promise<void> {
  const outcome = await applyInbox({ backend, predictionId, now });
  if (!outcome?.succeeded) return;
  const fresh = await requireOwnPrediction(backend.rows, { id: predictionId, userId: outcome.userId });
  await saveGeneratedImages({ userId: outcome.userId, predictionId, backend, model, maxBytes, fresh: { ...fresh, prediction: outcome.succeeded } });
}

async function readCappedText(request: Request, maxBytes: number): Promise<string | null> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) return null;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Webhook ids already handled, kept for twice the timestamp window: after
 * that a replay is refused by its timestamp anyway. In memory, so it is per
 * process; that is enough because the save is idempotent and only dedupes
 * work. A `webhook_deliveries` table would make it hold across instances.
 */
export class SeenWebhookIds {
  private readonly ids = new Map<string, number>();
  constructor(
    private readonly ttlMs = 2 * WEBHOOK_TOLERANCE_SECONDS * 1000,
    private readonly maxEntries = 10_000,
  ) {}

  has(id: string, now: number): boolean {
    const at = this.ids.get(id);
    return at !== undefined && now - at < this.ttlMs;
  }

  add(id: string, now: number): void {
    this.ids.delete(id);
    this.ids.set(id, now);
    // Maps iterate in insertion order, so the first key is the oldest.
    while (this.ids.size > this.maxEntries) this.ids.delete(this.ids.keys().next().value as string);
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}

const holder = globalThis as typeof globalThis & { __sdxlSeenWebhookIds?: SeenWebhookIds };
const defaultSeenIds = () => (holder.__sdxlSeenWebhookIds ??= new SeenWebhookIds());
