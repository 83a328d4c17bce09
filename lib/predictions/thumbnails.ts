import "server-only";

/**
 * The one rule for gallery thumbnails, in both modes: which widths exist, their
 * format, how they are made, and where each lives. Local mode makes them on
 * first request (lib/local/local-thumbnails.ts); cloud mode when the image is
 * saved, stored beside it (lib/predictions/make-thumbnails.ts).
 */

/** The only sizes made, so a client cannot fill storage with one file per width. */
export const THUMBNAIL_WIDTHS = [384, 768] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export function isThumbnailWidth(value: number): value is ThumbnailWidth {
  return (THUMBNAIL_WIDTHS as readonly number[]).includes(value);
}

export const THUMBNAIL_CONTENT_TYPE = "image/webp";

/**
 * `<image path>.w<width>.webp`: beside the image, so it is under the owner's
 * folder and the same storage policies cover it. Image names carry one dot
 * (`<prediction id>.<ext>`, ids have none), so no image can be named like a thumbnail.
 */
export function thumbnailPath(imagePath: string, width: ThumbnailWidth): string {
  return `${imagePath}.w${width}.webp`;
}

export function thumbnailPaths(imagePath: string): string[] {
  return THUMBNAIL_WIDTHS.map((width) => thumbnailPath(imagePath, width));
}

let warned = false;

/**
 * A WebP whose shorter side is `width` (never enlarged), or null when the image
 * cannot be decoded or sharp is not available on this platform: callers then
 * show the original.
 */
export async function makeThumbnail(bytes: Uint8Array, width: ThumbnailWidth): Promise<Buffer | null> {
  try {
    const { default: sharp } = await import("sharp");
    // "outside": the shorter side becomes `width`, so a square tile crop of a
    // landscape or portrait image is as sharp as a square one.
    return await sharp(bytes, { failOn: "error" })
      .resize({ width, height: width, fit: "outside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
  } catch (error) {
    if (!warned) {
      warned = true;
      // Once per process: a platform without sharp's binaries would otherwise log on every image.
      console.warn("Could not make a thumbnail; the full image is shown instead:", error instanceof Error ? error.message : error);
    }
    return null;
  }
}
