import { AppError, asAppError } from "@/lib/errors";
import { outputList, type ImageModel } from "@/lib/models/image-model";
import { thumbnailsAtSave } from "@/lib/predictions/make-thumbnails";
import { detectImageType, peekStream, SIGNATURE_BYTES } from "@/lib/predictions/image-signature";
import { probeImageSize } from "@/lib/predictions/image-size";
import { allOutputsAccountedFor, DeletedOutputError, isDeletedOutput } from "@/lib/predictions/deleted-outputs";
import type { Backend, ImageRow, PredictionRow } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { storedPrediction } from "@/lib/predictions/observation";
import { seedFromLogs } from "@/lib/predictions/seed-from-logs";
import type { ModelPrediction } from "@/lib/predictions/types";

type SaveArgs = {
  userId: string;
  predictionId: string;
  backend: Backend;
  model: ImageModel;
  maxBytes: number;
  /**
   * What the caller read in this same request, on the server: the owner's row
   * (already up to date), the images already saved and the model's succeeded
   * prediction. A poll passes them so the save does not read them all again.
   */
  fresh?: { row: PredictionRow; images: ImageRow[]; prediction: ModelPrediction };
};

/** Every image of a prediction that could be saved, and why the others could not. */
export type SavedImages = { images: ImageRow[]; failures: Array<{ index: number; error: AppError }> };

/** A model that says it made more than this is not believed. */
const MAX_OUTPUTS = 16;

// One save per prediction at a time in this process: a poll, the page's server
// action and a webhook often arrive together. Across processes the storage path
// and the unique (prediction_id, output_index) keep the result to one file and one row each.
const inFlight = new Map<string, Promise<SavedImages>>();

/**
 * Copies a succeeded prediction's outputs into storage and records each as its
 * own image. The prediction is read from the model on the server (by this call,
 * or by the poll that hands it over as `fresh`), so nothing the browser says is
 * trusted, and the save is idempotent per output: every call for the same
 * prediction returns the same rows. One output that cannot be saved does not
 * lose the others; if none can be, the first failure is thrown.
 */
export function saveGeneratedImages(args: SaveArgs): Promise<SavedImages> {
  const key = `${args.userId}/${args.predictionId}`;
  const running = inFlight.get(key);
  if (running) return running;
  const saving = save(args).finally(() => inFlight.delete(key));
  inFlight.set(key, saving);
  return saving;
}

async function save({ userId, predictionId, backend, model, maxBytes, fresh }: SaveArgs): Promise<SavedImages> {
  const { rows } = backend;
  let row: PredictionRow;
  let saved: ImageRow[];
  let prediction: ModelPrediction;
  if (fresh) {
    ({ row, images: saved, prediction } = fresh);
  } else {
    const own = await requireOwnPrediction(rows, { id: predictionId, userId });
    ({ row, images: saved } = own);
    if (allOutputsAccountedFor(row, saved) && row.status === "succeeded") return { images: saved, failures: [] };
    // Outputs a verified webhook recorded need no read of the model.
    prediction = storedPrediction(row) ?? (await model.get(predictionId));
  }
  if (prediction.status !== "succeeded") {
    throw new AppError("conflict", prediction.error ?? "This image is not ready to save yet.");
  }
  const outputs = outputList(prediction.output).slice(0, MAX_OUTPUTS);
  if (outputs.length === 0) throw new AppError("upstream_error", "The model finished without producing an image.");

  const seed = row.seed ?? seedFromLogs(prediction.logs);
  const have = new Map(saved.map((image) => [image.output_index, image]));
  // A deleted image is never fetched again; one deleted while this save ran is refused by the database.
  const wanted = outputs.map((_, index) => index).filter((index) => have.has(index) || !isDeletedOutput(row, index));
  const results = await Promise.allSettled(
    wanted.map((index) => have.get(index) ?? saveOutput({ userId, row, seed, prediction, index, backend, model, maxBytes })),
  );
  const images: ImageRow[] = [];
  const failures: SavedImages["failures"] = [];
  results.forEach((result, i) => {
    if (result.status === "fulfilled") images.push(result.value);
    else if (!(result.reason instanceof DeletedOutputError)) failures.push({ index: wanted[i], error: asAppError(result.reason) });
  });
  if (images.length === 0 && failures.length > 0) throw failures[0].error;

  if (row.status !== "succeeded" || !row.completed_at || (row.seed === null && seed !== null)) {
    await rows.updatePrediction({
      id: predictionId,
      userId,
      status: "succeeded",
      error: null,
      completedAt: prediction.completed_at ?? new Date().toISOString(),
      startedAt: prediction.started_at,
      seed,
    });
  }
  return { images, failures };
}

async function saveOutput({
  userId,
  row,
  seed,
  prediction,
  index,
  backend: { rows, files },
  model,
  maxBytes,
}: {
  userId: string;
  row: PredictionRow;
  seed: number | null;
  prediction: ModelPrediction;
  index: number;
  backend: Backend;
  model: ImageModel;
  maxBytes: number;
}): Promise<ImageRow> {
  const download = await model.openOutput(prediction, index);
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

  // The first output keeps the name a prediction's single image always had.
  const storagePath = `${userId}/${row.id}${index === 0 ? "" : `-${index}`}.${type.extension}`;
  const probe = probeImageSize();
  const thumbnails = thumbnailsAtSave(files);
  const { bytes } = await files.upload({ path: storagePath, body: thumbnails.watch(body.pipeThrough(probe.transform)), contentType: type.contentType, maxBytes });
  const size = await probe.size;
  if (!size) {
    await files.remove({ path: storagePath }).catch(() => undefined);
    throw new AppError("upstream_error", "The model returned an image whose size cannot be read.");
  }
  await thumbnails.make(storagePath);

  try {
    return await rows.insertImage({
      user_id: userId,
      prediction_id: row.id,
      output_index: index,
      prompt: typeof row.input.prompt === "string" ? row.input.prompt : "",
      input: row.input,
      model: row.model,
      model_name: row.model_name,
      seed,
      storage_path: storagePath,
      content_type: type.contentType,
      bytes,
      width: size.width,
      height: size.height,
    });
  } catch (error) {
    // A file without its row is invisible and never cleaned up; remove it
    // unless another save recorded it meanwhile (never when the image was deleted meanwhile).
    const recorded =
      error instanceof DeletedOutputError ? null : await rows.getImageByOutput({ predictionId: row.id, outputIndex: index, userId }).catch(() => null);
    if (recorded) return recorded;
    await files.remove({ path: storagePath }).catch(() => undefined);
    throw error;
  }
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
