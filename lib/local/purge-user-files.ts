import "server-only";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREDICTION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Removes everything local mode keeps on disk for one person: their folder in
 * every bucket (`<dataDir>/storage/<bucket>/<userId>/`, images and uploaded
 * inputs alike) with its storage.objects rows, their cached thumbnails, and
 * the local model's records and outputs of their predictions (which hold
 * their prompts). Runs as the database owner, before the account's rows go.
 */
export async function purgeLocalUserFiles({ db, dataDir, userId }: { db: PGlite; dataDir: string; userId: string }): Promise<void> {
  if (!UUID.test(userId)) throw new Error("Invalid user id.");
  const { rows } = await db.query<{ id: string }>("select id from public.predictions where user_id = $1", [userId]);

  const storage = path.resolve(dataDir, "storage");
  const buckets = await readdir(storage, { withFileTypes: true }).catch(() => []);
  for (const bucket of buckets) {
    if (bucket.isDirectory()) await rm(path.join(storage, bucket.name, userId), { recursive: true, force: true });
  }
  await rm(path.resolve(dataDir, "thumbnails", userId), { recursive: true, force: true });
  await db.query("delete from storage.objects where split_part(name, '/', 1) = $1", [userId]);

  const model = path.resolve(dataDir, "local-model");
  const outputs = await readdir(path.join(model, "outputs")).catch(() => [] as string[]);
  for (const { id } of rows) {
    if (!PREDICTION_ID.test(id)) continue;
    await rm(path.join(model, "predictions", `${id}.json`), { force: true });
    for (const name of outputs) if (name === `${id}.png` || name.startsWith(`${id}-`)) await rm(path.join(model, "outputs", name), { force: true });
  }
}
