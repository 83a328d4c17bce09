import "server-only";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { storageError } from "@/lib/supabase/errors";

const PAGE = 1000;

/**
 * Removes every object under `<userId>/` in every bucket of the project, as
 * the service role: the images, their thumbnails, uploaded inputs, and
 * anything a later feature keeps in a person's folder. Storage objects must go
 * through the Storage API (deleting their rows would leave the files).
 */
export async function purgeUserFolders(admin: TypedSupabaseClient, userId: string): Promise<void> {
  const { data: buckets, error } = await admin.storage.listBuckets();
  if (error) throw storageError(error, "list buckets");
  for (const bucket of buckets) {
    const store = admin.storage.from(bucket.id);
    for (;;) {
      const paths = await listFolder(store, userId);
      if (paths.length === 0) break;
      const { error: removeError } = await store.remove(paths);
      if (removeError) throw storageError(removeError, "remove files");
    }
  }
}

/** Object paths under `folder`, nested folders included, at most a page of each. */
async function listFolder(store: ReturnType<TypedSupabaseClient["storage"]["from"]>, folder: string): Promise<string[]> {
  const { data, error } = await store.list(folder, { limit: PAGE });
  if (error) throw storageError(error, "list files");
  const paths: string[] = [];
  for (const entry of data) {
    // Folders come back with no id.
    if (entry.id === null) paths.push(...(await listFolder(store, `${folder}/${entry.name}`)));
    else paths.push(`${folder}/${entry.name}`);
  }
  return paths;
}
