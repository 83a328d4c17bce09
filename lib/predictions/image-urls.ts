import { downloadName } from "@/lib/predictions/download-name";
import type { FileStore, ImageRow, ImageUrls } from "@/lib/predictions/ports";

/** The browser's URLs for saved images, by storage path, in one round trip; downloads named by the shared rule. */
export function imageUrlsOf(files: FileStore, rows: ImageRow[]): Promise<Map<string, ImageUrls>> {
  if (rows.length === 0) return Promise.resolve(new Map());
  return files.imageUrls({ images: rows.map((row) => ({ path: row.storage_path, downloadName: downloadName(row.prompt, row.storage_path) })) });
}

/** What an image without URLs (gone, or not the caller's) shows: nothing, rather than another file. */
export const NO_URLS: ImageUrls = { url: "", downloadUrl: "", thumbnails: [] };
