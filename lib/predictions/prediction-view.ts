import { expectedImageCount } from "@/lib/predictions/deleted-outputs";
import type { ImageRow, ImageUrls, PredictionRow } from "@/lib/predictions/ports";
import { parseProgress } from "@/lib/predictions/progress";
import { seedFromLogs } from "@/lib/predictions/seed-from-logs";
import { type ImageView, type ModelPrediction, type PredictionView } from "@/lib/predictions/types";

export function toImageView(image: ImageRow, { url, downloadUrl }: Pick<ImageUrls, "url" | "downloadUrl">): ImageView {
  return { id: image.id, index: image.output_index, url, downloadUrl, width: image.width, height: image.height };
}

/**
 * The browser's view of a prediction: the stored row (kept current by webhooks
 * and shared reads), or the model's own answer where the caller has one
 * (Replicate forgets predictions after an hour, so a finished row is the record). `estimate` is progress from the
 * model's usual run time, used only when its logs say nothing measurable.
 */
export function toPredictionView(
  row: PredictionRow,
  live: ModelPrediction | null,
  images: ImageView[],
  estimate: number | null = null,
): PredictionView {
  const status = live?.status ?? row.status;
  const logged = status === "succeeded" ? 1 : live ? parseProgress(live.logs) : row.progress;
  const progressIsEstimate = logged === null && estimate !== null && status === "processing";
  return {
    id: row.id,
    status,
    progress: progressIsEstimate ? estimate : logged,
    progressIsEstimate,
    error: live?.error ?? row.error,
    model: row.model,
    modelName: row.model_name,
    modelKey: row.model_key ?? "",
    input: row.input,
    seed: row.seed ?? seedFromLogs(live?.logs),
    created_at: row.created_at,
    started_at: live?.started_at ?? row.started_at,
    completed_at: live?.completed_at ?? row.completed_at,
    // A deleted image is not coming back: the page must not wait for it.
    expectedImages: expectedImageCount(row),
    images,
  };
}
