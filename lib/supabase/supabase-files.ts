import { AppError } from "@/lib/errors";
import type { FileStore } from "@/lib/predictions/ports";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { storageError } from "@/lib/supabase/errors";
import type { ClientSource } from "@/lib/supabase/supabase-rows";

export const IMAGES_BUCKET = "sdxl-images";

/** Long enough to browse a gallery page, short enough that a leaked URL soon stops working. */
export const SIGNED_URL_TTL_SECONDS = 60 * 60;

// Exactly `<user id>/<file name>` (or `<user id>/inputs/<file name>`), as lib/local/local-files.ts accepts: the
// storage policies key on the first folder, and a name may not start with a dot.
// Input images live one folder down, in `<user id>/inputs/`, under the same policies.
const OBJECT_PATH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(?:inputs\/)?[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;

/**
 * FileStore on Supabase Storage: the private `sdxl-images` bucket, whose
 * policies (see the migration) let a person touch only `<their id>/...`.
 * The browser sees files only through short-lived signed URLs.
 */
export function createSupabaseFileStore(source: ClientSource, { bucket = IMAGES_BUCKET } = {}): FileStore {
  const storage = async () => {
    const client: TypedSupabaseClient = typeof source === "function" ? await source() : source;
    return client.storage.from(bucket);
  };

  return {
    async upload({ path, body, contentType, maxBytes }) {
      mustBeObjectPath(path);
      // Counted while it streams through, so a file larger than allowed is cut
      // off at the limit instead of being buffered or stored first.
      let bytes = 0;
      let tooLarge = false;
      const counted = body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.byteLength;
            if (bytes > maxBytes) {
              tooLarge = true;
              controller.error(new AppError("payload_too_large", `The file is larger than ${maxBytes} bytes.`));
              return;
            }
            controller.enqueue(chunk);
          },
        }),
      );
      // A stream body is sent as is (storage-js adds `duplex: "half"` for it);
      // upsert because saves are idempotent and may write the same path twice.
      const { error } = await (await storage()).upload(path, counted, { contentType, upsert: true });
      if (tooLarge) throw new AppError("payload_too_large", `The file is larger than ${maxBytes} bytes.`);
      if (error) throw storageError(error, "upload file");
      return { bytes };
    },

    async remove({ path }) {
      mustBeObjectPath(path);
      // A path the caller may not see is skipped by Storage without an error,
      // as the local store does.
      const { error } = await (await storage()).remove([path]);
      if (error) throw storageError(error, "remove file");
    },

    async displayUrls({ paths }) {
      const urls = new Map<string, string>();
      const wanted = [...new Set(paths.filter((path) => OBJECT_PATH.test(path)))];
      if (wanted.length === 0) return urls;
      // One request for the whole gallery page, however many images it shows.
      const { data, error } = await (await storage()).createSignedUrls(wanted, SIGNED_URL_TTL_SECONDS);
      if (error) throw storageError(error, "sign file URLs");
      for (const entry of data) {
        if (entry.path && entry.signedUrl && !entry.error) urls.set(entry.path, entry.signedUrl);
      }
      return urls;
    },
  };
}

function mustBeObjectPath(path: string) {
  if (!OBJECT_PATH.test(path)) throw new AppError("bad_request", "Invalid file path.");
}
