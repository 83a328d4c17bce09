import { AppError } from "@/lib/errors";
import type { ImageRow, PredictionRow, RowStore } from "@/lib/predictions/ports";

/** Ids are the model's (Replicate's are 26 lowercase letters and digits); anything else is "not found" before any lookup. */
export const PREDICTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The owner's prediction row and the images saved from it. A malformed id, an
 * unknown id and someone else's id all answer the same "not found" (never
 * "forbidden"), so ids do not leak.
 */
export async function requireOwnPrediction(
  rows: RowStore,
  { id, userId }: { id: string; userId: string },
): Promise<{ row: PredictionRow; images: ImageRow[] }> {
  const found = PREDICTION_ID_PATTERN.test(id) ? await rows.getPredictionWithImages({ id, userId }) : null;
  if (!found) throw new AppError("not_found", "Prediction not found.");
  return { row: found.prediction, images: found.images };
}
