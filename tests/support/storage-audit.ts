import { readdir } from "node:fs/promises";
import path from "node:path";
import { getDatabase } from "@/lib/local/database";

/**
 * What is really stored in a local-mode data folder, read as the database
 * owner and from the disk, for tests that must prove nothing was half saved:
 * every image row has its storage object and its file, and every file on disk
 * (temp files included) belongs to an image row.
 */
export async function auditStorage(dataDir: string) {
  const db = await getDatabase(dataDir);
  const images = (await db.query<{ prediction_id: string; storage_path: string }>("select prediction_id, storage_path from public.sdxl_images")).rows;
  const objects = (await db.query<{ name: string }>("select name from storage.objects where bucket_id = 'sdxl-images'")).rows.map((row) => row.name);
  const root = path.join(dataDir, "storage", "sdxl-images");
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
  const imagePaths = images.map((image) => image.storage_path).sort();
  return {
    images,
    files,
    /** Rows whose file or storage object is missing. */
    rowsWithoutFile: imagePaths.filter((p) => !files.includes(p) || !objects.includes(p)),
    /** Files (or storage objects) no image row points to. */
    filesWithoutRow: [...new Set([...files, ...objects])].filter((p) => !imagePaths.includes(p)).sort(),
  };
}
