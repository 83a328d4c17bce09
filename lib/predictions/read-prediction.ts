import type { ImageModel } from "@/lib/models/image-model";
import type { Backend, ImageRow, SessionUser } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { toImageView, toPredictionView } from "@/lib/predictions/prediction-view";
import { isFinalStatus, type PredictionView } from "@/lib/predictions/types";

export async function imageViewOf(backend: Backend, image: ImageRow) {
  const urls = await backend.files.displayUrls({ paths: [image.storage_path] });
  return toImageView(image, urls.get(image.storage_path) ?? "");
}

/**
 * The owner's view of a prediction. Someone else's id is "not found", never
 * "forbidden", so ids do not leak. `needsSave` is true when the model finished
 * but the image is not stored yet: the caller starts the server-side save.
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
}): Promise<{ view: PredictionView; needsSave: boolean }> {
  const row = await requireOwnPrediction(backend.rows, { id, userId: user.id });

  const image = await backend.rows.getImageByPrediction({ predictionId: id, userId: user.id });
  if (image) {
    return { view: toPredictionView({ ...row, status: "succeeded" }, null, await imageViewOf(backend, image)), needsSave: false };
  }
  // A finished row is the record: the model forgets predictions after an hour.
  if (isFinalStatus(row.status) && row.status !== "succeeded") {
    return { view: toPredictionView(row, null, null), needsSave: false };
  }

  const live = await model.get(id);
  if (live.status !== row.status || live.error !== row.error) {
    await backend.rows.updatePrediction({
      id,
      userId: user.id,
      status: live.status,
      error: live.error,
      completedAt: live.completed_at,
    });
  }
  return { view: toPredictionView(row, live, null), needsSave: live.status === "succeeded" };
}
