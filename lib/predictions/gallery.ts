import { AppError } from "@/lib/errors";
import type { Backend, ImageCursor, SessionUser } from "@/lib/predictions/ports";
import type { InputValues } from "@/lib/models/input-fields";
import type { GalleryImage } from "@/lib/predictions/types";
import { imageUrlsOf, NO_URLS } from "@/lib/predictions/image-urls";
import { inputViews } from "@/lib/inputs/input-images";
import { inputRefsOf } from "@/lib/inputs/input-ref";
import type { InputBackend } from "@/lib/inputs/ports";

export const GALLERY_PAGE_SIZE = 24;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Cursors travel in URLs as `<created_at>_<id>`; anything unreadable means "first page". */
export function encodeCursor(cursor: ImageCursor): string {
  return `${cursor.created_at}_${cursor.id}`;
}

export function decodeCursor(value: string | undefined): ImageCursor | undefined {
  const match = value?.match(/^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)_([0-9a-f-]{36})$/);
  return match ? { created_at: match[1], id: match[2] } : undefined;
}

export async function listGallery({
  user,
  backend,
  cursor,
  limit = GALLERY_PAGE_SIZE,
  inputs,
}: {
  user: SessionUser;
  backend: Backend;
  cursor?: ImageCursor;
  limit?: number;
  /** When given, each image says which input images it was made from (one more round trip per page). */
  inputs?: InputBackend;
}): Promise<{ images: GalleryImage[]; nextCursor: string | null }> {
  // One row more than shown tells whether another page exists.
  const rows = await backend.rows.listImages({ userId: user.id, limit: limit + 1, cursor });
  const page = rows.slice(0, limit);
  const urls = await imageUrlsOf(backend.files, page);
  const images = page.map<GalleryImage>((row) => ({
    id: row.id,
    predictionId: row.prediction_id,
    ...(urls.get(row.storage_path) ?? NO_URLS),
    prompt: row.prompt,
    input: row.input,
    model: row.model,
    modelName: row.model_name,
    seed: row.seed,
    width: row.width,
    height: row.height,
    createdAt: row.created_at,
  }));
  if (inputs) {
    const views = new Map(
      (await inputViews({ user, inputs, ids: page.flatMap((row) => inputRefsOf(row.input).map((ref) => ref.id)) })).map((view) => [view.id, view]),
    );
    images.forEach((image) => {
      const used = inputRefsOf(image.input).flatMap(({ name, id }) => {
        const view = views.get(id);
        return view ? [[name, { url: view.url, width: view.width, height: view.height }] as const] : [];
      });
      if (used.length > 0) image.inputImages = Object.fromEntries(used);
    });
  }
  const last = page.at(-1);
  return { images, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/** Deletes the row first (the image disappears for the person at once), then its file. */
export async function deleteImage({ user, backend, imageId }: { user: SessionUser; backend: Backend; imageId: string }) {
  if (!UUID_PATTERN.test(imageId)) throw new AppError("not_found", "Image not found.");
  const deleted = await backend.rows.deleteImage({ id: imageId, userId: user.id });
  if (!deleted) throw new AppError("not_found", "Image not found.");
  await backend.files.remove({ path: deleted.storage_path });
}

/**
 * The model and settings an image was made with, for "use these settings
 * again"; undefined when not the person's. The seed actually used is put back,
 * so the same image can be made again. `modelKey` is null for images made
 * before the model picker existed (the page then offers its default model).
 */
export async function findImageSettings({
  user,
  backend,
  imageId,
}: {
  user: SessionUser;
  backend: Backend;
  imageId: string;
}): Promise<{ modelKey: string | null; input: InputValues } | undefined> {
  if (!UUID_PATTERN.test(imageId)) return undefined;
  const image = await backend.rows.getImage({ id: imageId, userId: user.id });
  if (!image) return undefined;
  const prediction = await backend.rows.getPrediction({ id: image.prediction_id, userId: user.id });
  const input = image.seed === null || "seed" in image.input ? image.input : { ...image.input, seed: image.seed };
  return { modelKey: prediction?.model_key ?? null, input };
}
