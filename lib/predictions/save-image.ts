import { AppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { detectImageType, peekStream, readPngSize, SIGNATURE_BYTES } from "@/lib/predictions/image-signature";
import type { Backend, ImageRow, PredictionRow } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import type { ModelPrediction } from "@/lib/predictions/types";

type SaveArgs = {
  userId: string;
  predictionId: string;
  backend: Backend;
  model: ImageModel;
  maxBytes: number;
  /**
   * What the caller read in this same request, on the server: the owner's row
   * (already up to date) and the model's succeeded prediction, with no image
   * stored yet. A poll passes them so the save does not read them all again.
   */
  fresh?: { row: PredictionRow; prediction: ModelPrediction };
};

// One save per prediction at a time in this process: a poll, the page's server
// action and a webhook often arrive together. Across processes the storage path
// and the unique prediction_id keep the result to one file and one row.
const inFlight = new Map<string, Promise<ImageRow>>();

/**
 * Copies a succeeded prediction's output into storage and records it. The
 * prediction is read from the model on the server (by this call, or by the
 * poll that hands it over as `fresh`), so nothing the browser says is trusted,
 * and the save is idempotent: every call for the same prediction returns the same row.
 */
export function saveGeneratedImage(args: SaveArgs): Promise<ImageRow> {
  const key = `${args.userId}/${args.predictionId}`;
  const running = inFlight.get(key);
  if (running) return running;
  const saving = save(args).finally(() => inFlight.delete(key));
  inFlight.set(key, saving);
  return saving;
}

async function save({ userId, predictionId, backend, model, maxBytes, fresh }: SaveArgs): Promise<ImageRow> {
  const { rows, files } = backend;
  let row: PredictionRow;
  let prediction: ModelPrediction;
  if (fresh) {
    ({ row, prediction } = fresh);
  } else {
    const own = await requireOwnPrediction(rows, { id: predictionId, userId });
    if (own.image) return own.image;
    row = own.row;
    prediction = await model.get(predictionId);
  }
  if (prediction.status !== "succeeded") {
    throw new AppError("conflict", prediction.error ?? "This image is not ready to save yet.");
  }

  const download = await model.openOutput(prediction);
  if (download.contentLength !== null && download.contentLength > maxBytes) {
    // Not awaited: a cancel can stall on some bodies, and the error stands either way.
    void download.body.cancel().catch(() => undefined);
    throw new AppError("payload_too_large", "The generated image is larger than this app accepts.");
  }
  const { head, body } = await peekStream(labelReadFailures(download.body), SIGNATURE_BYTES);
  const type = detectImageType(head);
  if (!type || !isImageContentType(download.contentType)) {
    void body.cancel().catch(() => undefined);
    throw new AppError("upstream_error", "The model returned something that is not an image.");
  }

  const storagePath = `${userId}/${predictionId}.${type.extension}`;
  const { bytes } = await files.upload({ path: storagePath, body, contentType: type.contentType, maxBytes });
  const size = readPngSize(head) ?? { width: row.input.width, height: row.input.height };

  let image: ImageRow;
  try {
    image = await rows.insertImage({
      user_id: userId,
      prediction_id: predictionId,
      prompt: row.input.prompt,
      input: row.input,
      model: row.model,
      storage_path: storagePath,
      content_type: type.contentType,
      bytes,
      width: size.width,
      height: size.height,
    });
  } catch (error) {
    // A file without its row is invisible and never cleaned up; remove it
    // unless another save recorded it meanwhile.
    const recorded = await rows.getImageByPrediction({ predictionId, userId }).catch(() => null);
    if (recorded) return recorded;
    await files.remove({ path: storagePath }).catch(() => undefined);
    throw error;
  }

  if (row.status !== "succeeded" || !row.completed_at) {
    await rows.updatePrediction({
      id: predictionId,
      userId,
      status: "succeeded",
      error: null,
      completedAt: prediction.completed_at ?? new Date().toISOString(),
    });
  }
  return image;
}

/**
 * The download's own failures (a connection reset, the download timeout) reach
 * the storage upload as whatever the network layer threw; named here, they
 * reach the person as what happened instead of "something went wrong".
 */
function labelReadFailures(source: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (error instanceof AppError) throw error;
        const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
        throw new AppError(
          "upstream_unavailable",
          timedOut ? "Downloading the image took too long. Try saving again." : "The image download was interrupted. Try saving again.",
          { retryAfter: 5, cause: error },
        );
      }
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function isImageContentType(contentType: string): boolean {
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type.startsWith("image/") || type === "application/octet-stream";
}
