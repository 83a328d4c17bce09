import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/with-user";
import { thumbnailOf } from "@/lib/local/local-thumbnails";
import { isDownloadName } from "@/lib/predictions/download-name";
import { isThumbnailWidth, THUMBNAIL_CONTENT_TYPE, THUMBNAIL_WIDTHS } from "@/lib/predictions/thumbnails";

/**
 * Local mode's stand-in for Supabase Storage's authenticated download: the file
 * is served only if the storage policies let this person read its row.
 *
 * - `?w=384` (or 768) answers with a WebP thumbnail for gallery tiles instead of the
 *   full image; it is made once and cached on disk, and only after the same check.
 * - `?download=<name>` asks the browser to save the file under that name, as
 *   Storage's `download` option does in cloud mode. Only names the shared rule
 *   (lib/predictions/download-name.ts) makes are used; any other value (such as
 *   the `1` older pages sent) saves it under the file's own name.
 */
export const GET = withUser<{ path: string[] }>(async ({ request, user, context, params }) => {
  const query = new URL(request.url).searchParams;
  const width = query.has("w") ? Number(query.get("w")) : null;
  if (width !== null && !isThumbnailWidth(width)) {
    throw new AppError("bad_request", `Thumbnail width must be one of ${THUMBNAIL_WIDTHS.join(", ")}.`);
  }
  const download = query.get("download");

  const path = params.path.join("/");
  const file = await context.openFile?.(user, path);
  if (!file) throw new AppError("not_found", "File not found.");
  const name = path.split("/").at(-1) ?? "image";
  const headers = {
    // Saved images never change under their path: cache them, but only for this person.
    "cache-control": "private, max-age=31536000, immutable",
    "x-content-type-options": "nosniff",
  };

  if (width !== null && context.env.backend.kind === "local") {
    const read: { bytes?: Uint8Array<ArrayBuffer> } = {};
    let thumbnail: Buffer | null;
    try {
      thumbnail = await thumbnailOf({
        dataDir: context.env.backend.dataDir,
        objectPath: path,
        width,
        original: async () => (read.bytes = new Uint8Array(await new Response(file.body).arrayBuffer())),
      });
    } finally {
      // A cache hit (or an early failure) never read the original: close its file handle.
      if (!read.bytes) await file.body.cancel().catch(() => {});
    }
    if (thumbnail) {
      return new Response(new Uint8Array(thumbnail), {
        headers: { ...headers, "content-type": THUMBNAIL_CONTENT_TYPE, "content-length": String(thumbnail.byteLength) },
      });
    }
    if (read.bytes) {
      // Could not make one: the full image still shows.
      return new Response(read.bytes, {
        headers: { ...headers, "content-type": file.contentType, "content-length": String(read.bytes.byteLength) },
      });
    }
  }

  return new Response(file.body, {
    headers: {
      ...headers,
      "content-type": file.contentType,
      "content-length": String(file.bytes),
      "content-disposition":
        download === null ? `inline; filename="${name}"` : `attachment; filename="${isDownloadName(download) ? download : name}"`,
    },
  });
});
