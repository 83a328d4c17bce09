import "server-only";

import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { makeThumbnail, thumbnailPath, THUMBNAIL_WIDTHS, type ThumbnailWidth } from "@/lib/predictions/thumbnails";

/**
 * Gallery thumbnails for local mode: a WebP whose shorter side is `width`, made
 * on first request from the stored original and kept as a cache under
 * `<dataDir>/thumbnails/`, sized and named by the shared rule in
 * lib/predictions/thumbnails.ts. The folder is outside
 * storage/, so nothing in it can ever be served as an object: the route checks
 * the original's storage row (the owner's policies) before asking for one.
 * Deleting the folder is always safe; thumbnails come back on the next view.
 */

function thumbnailFile(dataDir: string, objectPath: string, width: ThumbnailWidth): string {
  const root = path.resolve(dataDir, "thumbnails");
  const file = path.resolve(root, thumbnailPath(objectPath, width));
  // Object paths are validated by the file store before this is reached; this keeps the cache inside its folder regardless.
  if (!file.startsWith(root + path.sep)) throw new Error("Invalid thumbnail path.");
  return file;
}

/**
 * The cached thumbnail, or a new one made from `original` (the bytes of the stored
 * image, already read under the viewer's identity). Null when the image cannot be
 * decoded or sharp is not available on this platform: the caller serves the original.
 */
export async function thumbnailOf({
  dataDir,
  objectPath,
  width,
  original,
}: {
  dataDir: string;
  objectPath: string;
  width: ThumbnailWidth;
  original: () => Promise<Uint8Array>;
}): Promise<Buffer | null> {
  const file = thumbnailFile(dataDir, objectPath, width);
  const cached = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (cached) return cached;

  const resized = await makeThumbnail(await original(), width);
  if (!resized) return null;
  await mkdir(path.dirname(file), { recursive: true });
  // Write then rename, so a concurrent request never reads half a file.
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, resized, { flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  return resized;
}

/** Called when the original is deleted: its thumbnails go with it. */
export async function removeThumbnails({ dataDir, objectPath }: { dataDir: string; objectPath: string }): Promise<void> {
  await Promise.all(
    THUMBNAIL_WIDTHS.map((width) =>
      unlink(thumbnailFile(dataDir, objectPath, width)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      }),
    ),
  );
}
