import "server-only";
import { validateWebhook } from "replicate";
import { z } from "zod";
import { AppError, asAppError, errorResponse } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { PREDICTION_STATUSES, readableError } from "@/lib/models/replicate-prediction";
import type { Backend } from "@/lib/predictions/ports";
import { PREDICTION_ID_PATTERN } from "@/lib/predictions/prediction-id";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import { isFinalStatus } from "@/lib/predictions/types";

/** Replicate signs the time of sending; older (or future) deliveries are replays or clock trouble. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type ReplicateWebhookDeps = {
  /** REPLICATE_WEBHOOK_SIGNING_SECRET; without it the endpoint does not exist (404). */
  secret: string | undefined;
  model: ImageModel;
  /** The service backend: no session, so every call passes the owner's id. */
  backend: Backend;
  maxBytes: number;
  /** Runs the work after answering (Next's `after`); without it the work is awaited first. */
  defer?: (task: () => Promise<void>) => void;
  seen?: SeenWebhookIds;
  now?: () => number;
};

const bodySchema = z.object({
  id: z.string().regex(PREDICTION_ID_PATTERN),
  status: z.enum(PREDICTION_STATUSES),
  error: z.unknown().optional(),
  completed_at: z.string().nullish(),
});

const ok = (body: Record<string, unknown> = {}) => Response.json({ ok: true, ...body }, { headers: { "cache-control": "no-store" } });
const refuse = (code: "unauthorized" | "bad_request" | "not_found" | "payload_too_large", message: string) =>
  errorResponse(new AppError(code, message));

/**
 * Verifies and handles one Replicate webhook. Only a verified, fresh, first
 * delivery does any work; the work itself is the same idempotent save the
 * polls run, so a webhook racing a poll still yields one row and one file.
 */
export async function handleReplicateWebhook(request: Request, deps: ReplicateWebhookDeps): Promise<Response> {
  if (!deps.secret) return refuse("not_found", "Not found.");
  const now = deps.now?.() ?? Date.now();
  const id = request.headers.get("webhook-id");
  const timestamp = request.headers.get("webhook-timestamp");
  const signature = request.headers.get("webhook-signature");
  if (!id || !timestamp || !signature) return refuse("unauthorized", "Missing webhook signature headers.");
  // validateWebhook checks the signature only; the replay window is ours to enforce.
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    return refuse("unauthorized", "Webhook timestamp is outside the accepted window.");
  }

  const body = await readCappedText(request, MAX_BODY_BYTES);
  if (body === null) return refuse("payload_too_large", "Webhook body is too large.");
  if (body === "") return refuse("bad_request", "Webhook body is empty.");
  let valid: boolean;
  try {
    valid = await validateWebhook({ id, timestamp, signature, body, secret: deps.secret });
  } catch (error) {
    // Only a secret that is not `whsec_<base64>` makes it throw: our configuration, not the sender's.
    console.error("Replicate webhook: REPLICATE_WEBHOOK_SIGNING_SECRET could not be used", error);
    return errorResponse(new AppError("internal", "Webhook verification is misconfigured."));
  }
  if (!valid) return refuse("unauthorized", "Invalid webhook signature.");

  const seen = deps.seen ?? defaultSeenIds();
  if (seen.has(id, now)) return ok({ duplicate: true });

  let prediction: z.infer<typeof bodySchema>;
  try {
    prediction = bodySchema.parse(JSON.parse(body));
  } catch {
    return refuse("bad_request", "Webhook body is not a Replicate prediction.");
  }
  seen.add(id, now);

  const userId = PREDICTION_ID_PATTERN.test(prediction.id)
    ? await deps.backend.rows.getPredictionOwner({ id: prediction.id })
    : null;
  if (!userId) {
    // Not ours (another app on the same account) or already deleted: acknowledge so Replicate stops retrying.
    console.warn(`Replicate webhook for unknown prediction ${prediction.id}: ignored.`);
    return ok({ ignored: true });
  }

  const work = async () => {
    if (prediction.status === "succeeded") {
      await saveGeneratedImages({ userId, predictionId: prediction.id, backend: deps.backend, model: deps.model, maxBytes: deps.maxBytes });
    } else if (isFinalStatus(prediction.status)) {
      // The row is the record once Replicate forgets the prediction (after an hour).
      await deps.backend.rows.updatePrediction({
        id: prediction.id,
        userId,
        status: prediction.status,
        error: readableError(prediction.error),
        completedAt: prediction.completed_at ?? new Date(now).toISOString(),
      });
    }
  };

  if (deps.defer) {
    deps.defer(() => work().catch((error) => console.error(`Replicate webhook for ${prediction.id} failed`, error)));
    return ok();
  }
  try {
    await work();
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
