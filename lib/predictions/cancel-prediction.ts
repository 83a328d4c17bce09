import type { ImageModel } from "@/lib/models/image-model";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { toPredictionView } from "@/lib/predictions/prediction-view";
import { imageViewsOf } from "@/lib/predictions/read-prediction";
import { isFinalStatus, type PredictionView } from "@/lib/predictions/types";

/**
 * Cancels the owner's prediction and records the outcome. Someone else's id is
 * "not found", like every other lookup. A prediction that already finished is
 * answered as it is, without calling the model: cancelling is idempotent, and
 * Replicate forgets predictions after an hour.
 */
export async function cancelPrediction({
  user,
  backend,
  model,
  id,
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  id: string;
}): Promise<PredictionView> {
  const { row, images } = await requireOwnPrediction(backend.rows, { id, userId: user.id });

  if (isFinalStatus(row.status)) {
    return toPredictionView(row, null, await imageViewsOf(backend, images));
  }

  // Replicate answers with the prediction as it now stands: `canceled`, or
  // `succeeded` when it finished first (the next poll then saves the image).
  const live = await model.cancel(id);
  const completedAt = live.completed_at ?? (isFinalStatus(live.status) ? new Date().toISOString() : null);
  await backend.rows.updatePrediction({ id, userId: user.id, status: live.status, error: live.error, completedAt });
  return toPredictionView({ ...row, status: live.status, error: live.error, completed_at: completedAt }, live, []);
}
