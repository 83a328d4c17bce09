import type { ImageModel } from "@/lib/models/image-model";
import type { Backend, ImageRow, PredictionRow, SessionUser } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { toImageView, toPredictionView } from "@/lib/predictions/prediction-view";
import { isFinalStatus, type ModelPrediction, type PredictionView } from "@/lib/predictions/types";

export async function imageViewOf(backend: Backend, image: ImageRow) {
  const urls = await backend.files.displayUrls({ paths: [image.storage_path] });
  return toImageView(image, urls.get(image.storage_path) ?? "");
}

/**
 * The owner's view of a prediction. Someone else's id is "not found", never
 * "forbidden", so ids do not leak. `unsaved` is set when the model finished but
 * the image is not stored yet: the caller starts the server-side save with it.
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
}): Promise<{ view: PredictionView; unsaved: { row: PredictionRow; prediction: ModelPrediction } | null }> {
  const { row, image } = await requireOwnPrediction(backend.rows, { id, userId: user.id });
  if (image) {
    return { view: toPredictionView({ ...row, status: "succeeded" }, null, await imageViewOf(backend, image)), unsaved: null };
  }
  // A finished row is the record: the model forgets predictions after an hour.
  if (isFinalStatus(row.status) && row.status !== "succeeded") {
    return { view: toPredictionView(row, null, null), unsaved: null };
  }

  const live = await model.get(id);
  let current = row;
  if (live.status !== row.status || live.error !== row.error) {
    current = { ...row, status: live.status, error: live.error, completed_at: live.completed_at };
    await backend.rows.updatePrediction({
      id,
      userId: user.id,
      status: live.status,
      error: live.error,
      completedAt: live.completed_at,
    });
  }
  const unsaved = live.status === "succeeded" ? { row: current, prediction: live } : null;
  return { view: toPredictionView(row, live, null), unsaved };
}
