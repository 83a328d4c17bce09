import type { FileStore } from "@/lib/predictions/ports";
import { makeThumbnail, THUMBNAIL_CONTENT_TYPE, THUMBNAIL_WIDTHS, thumbnailPath } from "@/lib/predictions/thumbnails";

export type ThumbnailsAtSave = {
  /** Passes the image through unchanged, keeping a copy when thumbnails will be made from it. */
  watch(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
  /**
   * Makes and stores the thumbnails of the image just uploaded to `path`. Never
   * throws: an image without thumbnails still shows (tiles fall back to it),
   * while an image lost to a thumbnail failure would be gone.
   */
  make(path: string): Promise<void>;
};

/**
 * Thumbnails made while an image is saved, for file stores that keep them
 * beside the image (cloud mode, where there is no route to make them on
 * request). For other stores both steps do nothing and nothing is copied.
 */
export function thumbnailsAtSave(files: FileStore): ThumbnailsAtSave {
  if (!files.keepsThumbnails) return { watch: (body) => body, make: async () => {} };
  // The upload streams the image through; sharp needs it whole, so a copy is
  // kept as it passes (bounded by the upload's own size limit).
  const chunks: Uint8Array[] = [];
  return {
    watch: (body) =>
      body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            chunks.push(chunk.slice());
            controller.enqueue(chunk);
          },
        }),
      ),
    async make(path) {
      const original = new Uint8Array(Buffer.concat(chunks));
      chunks.length = 0;
      await Promise.all(
        THUMBNAIL_WIDTHS.map(async (width) => {
          try {
            const thumbnail = await makeThumbnail(original, width);
            if (!thumbnail) return;
            await files.upload({
              path: thumbnailPath(path, width),
              body: new Blob([new Uint8Array(thumbnail)]).stream(),
              contentType: THUMBNAIL_CONTENT_TYPE,
              maxBytes: thumbnail.byteLength,
            });
          } catch (error) {
            console.warn(`Could not store the ${width}px thumbnail of ${path}; the full image is shown instead:`, error instanceof Error ? error.message : error);
          }
        }),
      );
    },
  };
}
