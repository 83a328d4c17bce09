import type { ImageModel } from "@/lib/models/image-model";
import { allOutputsAccountedFor } from "@/lib/predictions/deleted-outputs";
import type { Backend, ImageRow, PredictionRow, SessionUser } from "@/lib/predictions/ports";
import { imageUrlsOf, NO_URLS } from "@/lib/predictions/image-urls";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { toImageView, toPredictionView } from "@/lib/predictions/prediction-view";
import { storedPrediction } from "@/lib/predictions/observation";
import { estimateProgress, typicalRunMs } from "@/lib/predictions/run-estimate";
import { readShared } from "@/lib/predictions/shared-read";
import { isFinalStatus, type ImageView, type ModelPrediction, type PredictionView } from "@/lib/predictions/types";

/** Display URLs for saved images, in one round trip, by output index. */
export async function imageViewsOf(backend: Backend, images: ImageRow[]): Promise<ImageView[]> {
  if (images.length === 0) return [];
  const urls = await imageUrlsOf(backend.files, images);
  return images
    .map((image) => toImageView(image, urls.get(image.storage_path) ?? NO_URLS))
    .sort((a, b) => a.index - b.index);
}

export type UnsavedPrediction = { row: PredictionRow; images: ImageRow[]; prediction: ModelPrediction };

/**
 * The owner's view of a prediction. Someone else's id is "not found", never
 * "forbidden", so ids do not leak. The answer comes from the row, which
 * webhooks keep current; the model is read only when the row says a read is
 * due, once for everyone polling (lib/predictions/shared-read.ts).
 * `pollAfterMs` tells the page when asking again can tell it something new.
 * `unsaved` is set when the model finished but not every image is stored yet
 * and the outputs are known (from this read or a verified webhook): the caller
 * starts the server-side save with it.
 */
export async function readPrediction({
  user,
  backend,
  model,
  id,
  webhooks = false,
  now = Date.now(),
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  id: string;
  /** True when predictions are created with webhooks (lib/predictions/webhook-url.ts). */
  webhooks?: boolean;
  now?: number;
}): Promise<{ view: PredictionView; unsaved: UnsavedPrediction | null }> {
  const own = await requireOwnPrediction(backend.rows, { id, userId: user.id });
  // A finished row is the record: the model forgets predictions after an hour.
  const complete = own.row.status === "succeeded" && allOutputsAccountedFor(own.row, own.images);
  if (complete || (isFinalStatus(own.row.status) && own.row.status !== "succeeded")) {
    return { view: toPredictionView(own.row, null, await imageViewsOf(backend, own.images)), unsaved: null };
  }

  const { row, images, live, pollAfterMs } = await readShared({ row: own.row, images: own.images, backend, model, webhooks, now });
  const estimate = await progressEstimate({ backend, user, row, now });
  const view = { ...toPredictionView(row, null, await imageViewsOf(backend, images), estimate), pollAfterMs };
  const outputs = live?.status === "succeeded" ? live : storedPrediction(row);
  const unsaved = row.status === "succeeded" && !allOutputsAccountedFor(row, images) && outputs ? { row, images, prediction: outputs } : null;
  return { view, unsaved };
}

/** When a model's logs say nothing measurable, how far along a run of its usual length would be. */
const FALLBACK_RUN_MS = 10_000;
const RUN_TIME_SAMPLES = 20;
// The person's typical run time for a model changes slowly: read it once a minute, not on every poll.
const typicalCache = new Map<string, { ms: number; at: number }>();

async function progressEstimate({
  backend,
  user,
  row,
  now,
}: {
  backend: Backend;
  user: SessionUser;
  row: PredictionRow;
  now: number;
}): Promise<number | null> {
  if (row.status !== "processing" || !row.started_at || row.progress !== null) return null;
  const key = `${user.id}\n${row.model}`;
  let typical = typicalCache.get(key);
  if (!typical || Date.now() - typical.at > 60_000) {
    const samples = await backend.rows.listRecentRunTimes({ userId: user.id, model: row.model, limit: RUN_TIME_SAMPLES }).catch(() => []);
    typical = { ms: typicalRunMs(samples, FALLBACK_RUN_MS), at: Date.now() };
    typicalCache.set(key, typical);
  }
  return estimateProgress({ elapsedMs: now - Date.parse(row.started_at), typicalMs: typical.ms });
}
