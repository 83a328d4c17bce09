import { AppError } from "@/lib/errors";
import type { FileStore, ImageUrls } from "@/lib/predictions/ports";
import { THUMBNAIL_WIDTHS, thumbnailPath, thumbnailPaths } from "@/lib/predictions/thumbnails";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { storageError } from "@/lib/supabase/errors";
import type { SignedUrlCache } from "@/lib/supabase/signed-url-cache";
import type { ClientSource } from "@/lib/supabase/supabase-rows";

export const IMAGES_BUCKET = "sdxl-images";

/** Long enough to browse a gallery page, short enough that a leaked URL soon stops working. */
export const SIGNED_URL_TTL_SECONDS = 60 * 60;
/** How long a signed URL is handed out again: a page shown at the end of it still has ten minutes to load. */
export const SIGNED_URL_REUSE_MS = 50 * 60 * 1000;

// Exactly `<user id>/<file name>` (or `<user id>/inputs/<file name>`), as lib/local/local-files.ts accepts: the
// storage policies key on the first folder, and a name may not start with a dot.
// Input images live one folder down, in `<user id>/inputs/`, under the same policies.
const OBJECT_PATH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(?:inputs\/)?[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;
const INPUT_PATH = /^[^/]+\/inputs\//;

/**
 * FileStore on Supabase Storage: the private `sdxl-images` bucket, whose
 * policies (see the migration) let a person touch only `<their id>/...`.
 * The browser sees files only through short-lived signed URLs, reused while
 * valid when a cache and the viewer's id are given (see signed-url-cache.ts).
 * Each image's gallery thumbnails are stored beside it, under the same policies.
 */
export function createSupabaseFileStore(
  source: ClientSource,
  { bucket = IMAGES_BUCKET, viewer, signedUrls }: { bucket?: string; viewer?: string; signedUrls?: SignedUrlCache } = {},
): FileStore {
  const storage = async () => {
    const client: TypedSupabaseClient = typeof source === "function" ? await source() : source;
    return client.storage.from(bucket);
  };
  const cache = viewer && signedUrls ? { viewer, urls: signedUrls } : null;
  const cacheKey = (path: string) => `${bucket}/${path}`;

  /** Signed URLs by path, for those the caller may read; from the cache where it still has them. */
  async function sign(paths: string[]): Promise<Map<string, string>> {
    const urls = new Map<string, string>();
    const missing: string[] = [];
    for (const path of new Set(paths.filter((candidate) => OBJECT_PATH.test(candidate)))) {
      const kept = cache?.urls.get({ path: cacheKey(path), viewer: cache.viewer });
      if (kept === undefined) missing.push(path);
      else if (kept !== null) urls.set(path, kept);
    }
    if (missing.length === 0) return urls;
    // Counted from before the request, so a reused URL never outlives its signature.
    const signedAt = Date.now();
    // One request for the whole gallery page, however many images it shows.
    const { data, error } = await (await storage()).createSignedUrls(missing, SIGNED_URL_TTL_SECONDS);
    if (error) throw storageError(error, "sign file URLs");
    for (const entry of data) {
      if (!entry.path) continue;
      // An object that does not exist (or is not the caller's) gets no URL.
      const url = entry.signedUrl && !entry.error ? entry.signedUrl : null;
      if (url) urls.set(entry.path, url);
      cache?.urls.set({ path: cacheKey(entry.path), viewer: cache.viewer, url, signedAt });
    }
    return urls;
  }

  return {
    keepsThumbnails: true,

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
      // An image's thumbnails go with it, in the same request (input images have none).
      // A path the caller may not see, or that does not exist, is skipped by
      // Storage without an error, as the local store does.
      const paths = INPUT_PATH.test(path) ? [path] : [path, ...thumbnailPaths(path)];
      const { error } = await (await storage()).remove(paths);
      if (error) throw storageError(error, "remove file");
      for (const removed of paths) cache?.urls.forget({ path: cacheKey(removed), viewer: cache.viewer });
    },

    displayUrls: ({ paths }) => sign(paths),

    async imageUrls({ images }) {
      const urls = await sign(images.flatMap(({ path }) => [path, ...thumbnailPaths(path)]));
      const result = new Map<string, ImageUrls>();
      for (const { path, downloadName } of images) {
        const url = urls.get(path);
        if (!url) continue;
        result.set(path, {
          url,
          downloadUrl: withDownload(url, downloadName),
          // Images saved before thumbnails existed, or whose thumbnails could not be made, have none.
          thumbnails: THUMBNAIL_WIDTHS.flatMap((width) => {
            const thumbnail = urls.get(thumbnailPath(path, width));
            return thumbnail ? [{ width, url: thumbnail }] : [];
          }),
        });
      }
      return result;
    },
  };
}

/**
 * The signed URL with Storage's download option, exactly as supabase-js's
 * `createSignedUrl(path, expiresIn, { download: name })` appends it
 * (storage-js 2.109 StorageFileApi). storage-api reads `download` apart from the
 * token (supabase/storage src/http/routes/object/getSignedObject.ts) and answers
 * with `Content-Disposition: attachment; filename=<name>` (renderer.ts
 * handleDownload), so the view URL's signature serves the download too, with
 * no second signing request per image.
 */
function withDownload(signedUrl: string, name: string): string {
  return `${signedUrl}&${new URLSearchParams({ download: name })}`;
}

function mustBeObjectPath(path: string) {
  if (!OBJECT_PATH.test(path)) throw new AppError("bad_request", "Invalid file path.");
}
