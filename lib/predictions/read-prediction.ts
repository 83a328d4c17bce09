import type { ImageModel } from "@/lib/models/image-model";
import type { Backend, ImageRow, PredictionRow, SessionUser } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { toImageView, toPredictionView } from "@/lib/predictions/prediction-view";
import { parseProgress } from "@/lib/predictions/progress";
import { estimateProgress, typicalRunMs } from "@/lib/predictions/run-estimate";
import { seedFromLogs } from "@/lib/predictions/seed-from-logs";
import { isFinalStatus, type ImageView, type ModelPrediction, type PredictionView } from "@/lib/predictions/types";

/** Display URLs for saved images, in one round trip, by output index. */
export async function imageViewsOf(backend: Backend, images: ImageRow[]): Promise<ImageView[]> {
  if (images.length === 0) return [];
  const urls = await backend.files.displayUrls({ paths: images.map((image) => image.storage_path) });
  return images
    .map((image) => toImageView(image, urls.get(image.storage_path) ?? ""))
    .sort((a, b) => a.index - b.index);
}

export type UnsavedPrediction = { row: PredictionRow; images: ImageRow[]; prediction: ModelPrediction };

/**
 * The owner's view of a prediction. Someone else's id is "not found", never
 * "forbidden", so ids do not leak. `unsaved` is set when the model finished but
 * not every image is stored yet: the caller starts the server-side save with it.
 */
export async function readPrediction({
  user,
  backend,
  model,
  id,
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  id: string;
}): Promise<{ view: PredictionView; unsaved: UnsavedPrediction | null }> {
  const { row, images } = await requireOwnPrediction(backend.rows, { id, userId: user.id });
  // A finished row is the record: the model forgets predictions after an hour.
  const complete = row.status === "succeeded" && images.length >= row.output_count;
  if (complete || (isFinalStatus(row.status) && row.status !== "succeeded")) {
    return { view: toPredictionView(row, null, await imageViewsOf(backend, images)), unsaved: null };
  }

  const live = await model.get(id);
  const seed = row.seed ?? seedFromLogs(live.logs);
  let current = row;
  const learned = (live.started_at && !row.started_at) || seed !== row.seed;
  if (live.status !== row.status || live.error !== row.error || learned) {
    current = { ...row, status: live.status, error: live.error, completed_at: live.completed_at, started_at: row.started_at ?? live.started_at, seed };
    await backend.rows.updatePrediction({
      id,
      userId: user.id,
      status: live.status,
      error: live.error,
      completedAt: live.completed_at,
      startedAt: live.started_at,
      seed,
    });
  }
  const estimate = await progressEstimate({ backend, user, row: current, live });
  const view = toPredictionView(current, live, await imageViewsOf(backend, images), estimate);
  const unsaved = live.status === "succeeded" ? { row: current, images, prediction: live } : null;
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
  live,
}: {
  backend: Backend;
  user: SessionUser;
  row: PredictionRow;
  live: ModelPrediction;
}): Promise<number | null> {
  if (live.status !== "processing" || !live.started_at || parseProgress(live.logs) !== null) return null;
  const key = `${user.id}\n${row.model}`;
  let typical = typicalCache.get(key);
  if (!typical || Date.now() - typical.at > 60_000) {
    const samples = await backend.rows.listRecentRunTimes({ userId: user.id, model: row.model, limit: RUN_TIME_SAMPLES }).catch(() => []);
    typical = { ms: typicalRunMs(samples, FALLBACK_RUN_MS), at: Date.now() };
    typicalCache.set(key, typical);
  }
  return estimateProgress({ elapsedMs: Date.now() - Date.parse(live.started_at), typicalMs: typical.ms });
}
