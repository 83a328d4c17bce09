import "server-only";

import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, open as openFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { PGlite } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import { withIdentity, type DbIdentity } from "@/lib/local/database";
import { queryAs } from "@/lib/local/query-as";
import { removeThumbnails } from "@/lib/local/local-thumbnails";
import type { FileStore, ImageUrls } from "@/lib/predictions/ports";
import { THUMBNAIL_WIDTHS } from "@/lib/predictions/thumbnails";

// Exactly `<user id>/<file name>` (or `<user id>/inputs/<file name>`): the storage policies key on the first folder,
// and a name may not start with a dot (no `.`/`..`, no hidden or temp files).
// Input images live one folder down, in `<user id>/inputs/`, under the same policies.
const OBJECT_PATH = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/(?:inputs\/)?[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export type OpenedFile = { body: ReadableStream<Uint8Array>; contentType: string; bytes: number };

export type LocalFileStore = FileStore & {
  /** The file if `identity` may read it; null when it may not or it is gone. */
  open(args: { path: string }): Promise<OpenedFile | null>;
};

/**
 * Files on disk under `<dataDir>/storage/<bucket>/`, with their metadata rows in
 * storage.objects. Every operation touches the row first, under `identity`, so
 * the same storage policies as on Supabase decide who may write, read or delete.
 */
export function createLocalFileStore({
  db,
  identity,
  dataDir,
  bucket = "sdxl-images",
}: {
  db: PGlite;
  identity: DbIdentity;
  dataDir: string;
  bucket?: string;
}): LocalFileStore {
  if (!BUCKET_NAME.test(bucket)) throw new Error(`Invalid bucket name: ${bucket}`);
  const root = path.resolve(dataDir, "storage", bucket);
  const owner = identity.kind === "user" ? identity.user.id : null;

  function locate(objectPath: string): string | null {
    if (!OBJECT_PATH.test(objectPath)) return null;
    const file = path.resolve(root, objectPath);
    // Belt and braces: the pattern already rules out traversal.
    return file.startsWith(root + path.sep) ? file : null;
  }

  function mustLocate(objectPath: string): string {
    const file = locate(objectPath);
    if (!file) throw new AppError("bad_request", "Invalid file path.");
    return file;
  }

  return {
    async upload({ path: objectPath, body, contentType, maxBytes }) {
      const file = mustLocate(objectPath);
      const limits = await bucketLimits(db, bucket);
      if (limits.allowedTypes && !limits.allowedTypes.includes(contentType)) {
        throw new AppError("unsupported_media_type", `Files of type ${contentType} cannot be stored.`);
      }
      const limit = Math.min(maxBytes, limits.maxBytes ?? Number.POSITIVE_INFINITY);

      await mkdir(path.dirname(file), { recursive: true });
      // Same folder as the target, so the final rename is atomic: a reader never
      // sees half a file, and a failed upload leaves the old one in place.
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
      let bytes = 0;
      const out = createWriteStream(temp, { flags: "wx" });
      try {
        await pipeline(
          Readable.fromWeb(body as NodeReadableStream<Uint8Array>),
          async function* countBytes(source: AsyncIterable<Uint8Array>) {
            for await (const chunk of source) {
              bytes += chunk.byteLength;
              if (bytes > limit) {
                throw new AppError("payload_too_large", `The file is larger than ${limit} bytes.`);
              }
              yield chunk;
            }
          },
          out,
        );

        await withIdentity(db, identity, async (tx) => {
          await tx.query(
            `insert into storage.objects (bucket_id, name, owner, metadata)
             values ($1, $2, $3, $4::jsonb)
             on conflict (bucket_id, name) do update
               set metadata = excluded.metadata,
                   owner = coalesce(excluded.owner, storage.objects.owner),
                   updated_at = now()`,
            [bucket, objectPath, owner, JSON.stringify({ mimetype: contentType, size: bytes })],
          );
          // Inside the transaction: if the rename fails, the row rolls back too.
          await rename(temp, file);
        });
      } catch (error) {
        // A body that fails at once can end the pipeline before the temp file is
        // even open; the open still completes, so wait for the stream to close
        // or the unlink runs first and the file is created after it.
        if (!out.closed) await once(out, "close").catch(() => {});
        await unlink(temp).catch(() => {});
        throw isRlsViolation(error)
          ? new AppError("not_found", "That folder was not found.", { cause: error })
          : error;
      }
      return { bytes };
    },

    async remove({ path: objectPath }) {
      const file = mustLocate(objectPath);
      await withIdentity(db, identity, async (tx) => {
        const { rows } = await tx.query(
          "delete from storage.objects where bucket_id = $1 and name = $2 returning id",
          [bucket, objectPath],
        );
        // Not visible to this identity (or already gone): the file is not ours to touch.
        if (rows.length === 0) return;
        await unlink(file).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== "ENOENT") throw error;
        });
        await removeThumbnails({ dataDir, objectPath });
      });
    },

    async displayUrls({ paths }) {
      // Served by the authenticated /api/files route, which calls open() under
      // the viewer's identity; a path that could never be served gets no URL.
      const urls = new Map<string, string>();
      for (const objectPath of paths) {
        if (locate(objectPath)) urls.set(objectPath, fileUrl(objectPath));
      }
      return urls;
    },

    async imageUrls({ images }) {
      // The route makes thumbnails on first request (`?w=`) and names downloads (`?download=`).
      const urls = new Map<string, ImageUrls>();
      for (const { path: objectPath, downloadName } of images) {
        if (!locate(objectPath)) continue;
        const url = fileUrl(objectPath);
        urls.set(objectPath, {
          url,
          downloadUrl: `${url}?download=${encodeURIComponent(downloadName)}`,
          thumbnails: THUMBNAIL_WIDTHS.map((width) => ({ width, url: `${url}?w=${width}` })),
        });
      }
      return urls;
    },

    async open({ path: objectPath }) {
      const file = locate(objectPath);
      if (!file) return null;
      // Once per image shown (every thumbnail of a gallery page): one exchange, not a transaction.
      const { rows } = await queryAs<{ metadata: { mimetype?: unknown } | null }>(
        db,
        identity,
        "select metadata from storage.objects where bucket_id = $1 and name = $2",
        [bucket, objectPath],
      );
      const row = rows[0] ?? null;
      if (!row) return null;

      // Size and stream come from the same open handle, so they agree even if
      // an upload renames a new file into place meanwhile.
      // turbopackIgnore: the path is data (a stored object), not code; without it the
      // build traces the whole project (.env files included) into the server output.
      const handle = await openFile(/* turbopackIgnore: true */ file, "r").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return null;
        throw error;
      });
      if (!handle) return null;
      const { size } = await handle.stat().catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
      const mimetype = row.metadata?.mimetype;
      return {
        body: Readable.toWeb(handle.createReadStream()) as ReadableStream<Uint8Array>,
        contentType: typeof mimetype === "string" ? mimetype : "application/octet-stream",
        bytes: size,
      };
    },
  };
}

function fileUrl(objectPath: string): string {
  return `/api/files/${objectPath.split("/").map(encodeURIComponent).join("/")}`;
}

async function bucketLimits(db: PGlite, bucket: string): Promise<{ maxBytes: number | null; allowedTypes: string[] | null }> {
  // Bucket settings are server configuration, not user data: read them as the
  // database owner, as Supabase's storage server does.
  const { rows } = await db.query<{ file_size_limit: number | string | null; allowed_mime_types: string[] | null }>(
    "select file_size_limit, allowed_mime_types from storage.buckets where id = $1",
    [bucket],
  );
  if (!rows[0]) throw new Error(`Storage bucket ${bucket} does not exist; are the migrations applied?`);
  const { file_size_limit, allowed_mime_types } = rows[0];
  return {
    maxBytes: file_size_limit === null ? null : Number(file_size_limit),
    allowedTypes: allowed_mime_types,
  };
}

function isRlsViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "42501";
}
