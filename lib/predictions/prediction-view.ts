import type { ImageRow, PredictionRow } from "@/lib/predictions/ports";
import { parseProgress } from "@/lib/predictions/progress";
import { type ImageView, type ModelPrediction, type PredictionView } from "@/lib/predictions/types";

export function toImageView(image: ImageRow, url: string): ImageView {
  return { id: image.id, url, width: image.width, height: image.height };
}

/**
 * The browser's view of a prediction: the stored row, brought up to date by the
 * model's answer while it is still running (Replicate forgets predictions after
 * an hour, so a finished row is the record).
 */
export function toPredictionView(
  row: PredictionRow,
  live: ModelPrediction | null,
  image: ImageView | null,
): PredictionView {
  const status = live?.status ?? row.status;
  const progress = status === "succeeded" ? 1 : live ? parseProgress(live.logs) : null;
  return {
    id: row.id,
    status,
    progress,
    error: live?.error ?? row.error,
    model: row.model,
    input: row.input,
    created_at: row.created_at,
    started_at: live?.started_at ?? null,
    completed_at: live?.completed_at ?? row.completed_at,
    image,
  };
}

