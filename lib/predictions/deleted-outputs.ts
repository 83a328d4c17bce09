import { AppError } from "@/lib/errors";
import type { ImageRow, PredictionRow } from "@/lib/predictions/ports";

/**
 * A deleted image stays deleted. The database keeps each prediction's deleted
 * output indexes (predictions.deleted_outputs, written by a trigger when an
 * image row is deleted) and refuses an image row for one of them; these
 * helpers let every path that saves or waits for images skip them up front.
 */

/** What the stores throw when the database refuses an image row for a deleted output (SQLSTATE SX410). */
export class DeletedOutputError extends AppError {
  static readonly errorName = "DeletedOutputError";
  constructor(options: { cause?: unknown } = {}) {
    super("conflict", "This image was deleted.", options);
    this.name = DeletedOutputError.errorName;
  }
}

/** The SQLSTATE the migration's sdxl_images_refuse_deleted trigger raises. */
export const DELETED_OUTPUT_SQLSTATE = "SX410";

export function isDeletedOutput(row: Pick<PredictionRow, "deleted_outputs">, index: number): boolean {
  return row.deleted_outputs.includes(index);
}

/** How many images a prediction still yields: those asked for, minus those deleted. */
export function expectedImageCount(row: Pick<PredictionRow, "output_count" | "deleted_outputs">): number {
  return Math.max(0, row.output_count - new Set(row.deleted_outputs).size);
}

/** True when every image asked for is saved or was deleted: nothing is left to save. */
export function allOutputsAccountedFor(
  row: Pick<PredictionRow, "output_count" | "deleted_outputs">,
  images: Pick<ImageRow, "output_index">[],
): boolean {
  return images.length >= expectedImageCount(row);
}
