import { randomUUID } from "node:crypto";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { http, HttpResponse, type HttpHandler } from "msw";
import { asRole, type Claims } from "@/tests/msw/emulator-database";
import { claimsOf } from "@/tests/msw/postgrest";
import type { Gate, Identity } from "@/tests/msw/supabase-handlers";

/**
 * Supabase Storage (storage-api) over the project's PGlite: every object is a
 * row in storage.objects, written and read under the caller's role and JWT
 * claims as storage-api does (src/storage/object.ts, src/storage/database/knex.ts),
 * so the migrations' storage policies decide, and the bucket's own row its
 * size and type limits. The bytes stay in memory, keyed `<bucket>/<name>`.
 * Errors come back as storage-api sends them: HTTP 400 with the real code in
 * the body's `statusCode`.
 */

export type StoredObject = { bytes: Uint8Array; contentType: string };

type Bucket = { id: string; file_size_limit: number | null; allowed_mime_types: string[] | null };
type Role = { claims: Claims } | "superuser";

const storageFailure = (statusCode: string, error: string, message: string, status = 400) =>
  HttpResponse.json({ statusCode, error, message }, { status });

/** What storage-api answers for a Postgres error in an object query (src/storage/errors.ts). */
function databaseFailure(error: unknown): Response {
  const code = (error as { code?: string }).code;
  if (code === "42501") return storageFailure("403", "Unauthorized", "new row violates row-level security policy");
  if (code === "23505") return storageFailure("409", "Duplicate", "The resource already exists");
  throw error;
}

/**
 * `?download` on a signed URL, read apart from the token, as storage-api does
 * (supabase/storage@4fa61fb src/storage/renderer/renderer.ts, handleDownload):
 * empty asks for an attachment, a value names it.
 */
function downloadHeaders(download: string | null): Record<string, string> {
  if (download === null) return {};
  if (download === "") return { "content-disposition": "attachment;" };
  const encoded = encodeURIComponent(download);
  return { "content-disposition": `attachment; filename=${encoded}; filename*=UTF-8''${encoded}` };
}

export function createStorageHandlers({
  url,
  gate,
  database,
  objects,
  signToken,
  verifyToken,
}: {
  url: string;
  gate: Gate;
  database: () => Promise<PGlite>;
  /** The bytes, keyed `<bucket>/<name>`; the rows are in storage.objects. */
  objects: Map<string, StoredObject>;
  signToken: (claims: Record<string, unknown>, expiresIn: number) => Promise<string>;
  verifyToken: (token: string) => Promise<Record<string, unknown> | null>;
}): HttpHandler[] {
  const base = `${url}/storage/v1`;

  async function run<T>(role: Role, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const db = await database();
    return role === "superuser" ? db.transaction(fn) : asRole(db, role.claims, fn);
  }
  const as = (identity: Identity): Role => ({ claims: claimsOf(identity) });

  // storage-api reads the bucket as the superuser for uploads and signing (its limits apply to everyone).
  async function findBucket(id: string): Promise<Bucket | null> {
    const { rows } = await run("superuser", (tx) =>
      tx.query<Bucket>("select id, file_size_limit::float8 as file_size_limit, allowed_mime_types from storage.buckets where id = $1", [id]),
    );
    return rows[0] ?? null;
  }
  const noBucket = () => storageFailure("404", "Bucket not found", "Bucket not found");
  const objectName = (request: Request, prefix: string, bucket: string) =>
    decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/${prefix}/${bucket}/`.length));

  async function enter(route: "storage.upload" | "storage.remove" | "storage.sign" | "storage.download", request: Request) {
    return (await gate.enter(route, request)) ?? gate.identify(request, "storage");
  }

  /*
   * The object's row, as `role` writes it. Supabase's access-control docs: a new
   * file needs only the insert policy (so no RETURNING, which would bring in the
   * select policy); an upsert needs select, insert and update.
   */
  async function writeRow(tx: Transaction, bucket: string, name: string, owner: string | null, upsert: boolean, metadata: object): Promise<string> {
    const id = randomUUID();
    const values = [id, bucket, name, owner, JSON.stringify(metadata)];
    if (!upsert) {
      await tx.query("insert into storage.objects (id, bucket_id, name, owner, metadata) values ($1, $2, $3, $4, $5)", values);
      return id;
    }
    const { rows } = await tx.query<{ id: string }>(
      `insert into storage.objects (id, bucket_id, name, owner, metadata) values ($1, $2, $3, $4, $5)
       on conflict (bucket_id, name) do update set owner = excluded.owner, metadata = excluded.metadata, updated_at = now()
       returning id`,
      values,
    );
    return rows[0].id;
  }

  /** storage-api's upload: the bucket's limits, then the row under `role`, then the bytes. */
  async function store(request: Request, bucket: Bucket, name: string, owner: string | null, upsert: boolean, role: Role): Promise<Response> {
    const contentType = (request.headers.get("content-type") ?? "").split(";")[0].trim();
    if (bucket.allowed_mime_types && !bucket.allowed_mime_types.includes(contentType)) {
      return storageFailure("415", "invalid_mime_type", `mime type ${contentType} is not supported`);
    }
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bucket.file_size_limit !== null && bytes.byteLength > bucket.file_size_limit) {
      return storageFailure("413", "Payload too large", "The object exceeded the maximum allowed size", 413);
    }
    try {
      const id = await run(role, (tx) => writeRow(tx, bucket.id, name, owner, upsert, { mimetype: contentType, size: bytes.byteLength }));
      objects.set(`${bucket.id}/${name}`, { bytes, contentType });
      return HttpResponse.json({ Key: `${bucket.id}/${name}`, Id: id });
    } catch (error) {
      return databaseFailure(error);
    }
  }

  /** The named objects `role` may see in the bucket (the select policy). */
  async function visible(role: Role, bucket: string, names: string[]): Promise<Set<string>> {
    const { rows } = await run(role, (tx) =>
      tx.query<{ name: string }>("select name from storage.objects where bucket_id = $1 and name = any($2::text[])", [bucket, names]),
    );
    return new Set(rows.map((row) => row.name));
  }

  const serve = (object: StoredObject, extra: Record<string, string> = {}) =>
    new HttpResponse(object.bytes.slice().buffer, {
      headers: { "content-type": object.contentType, "content-length": String(object.bytes.byteLength), ...extra },
    });

  return [
    http.get(`${base}/bucket`, async ({ request }) => {
      const identity = await gate.identify(request, "storage");
      if (identity instanceof Response) return identity;
      const { rows } = await run(as(identity), (tx) => tx.query("select id, name, public from storage.buckets order by id"));
      return HttpResponse.json(rows);
    }),

    // storage-api's list (storage.search) as the caller: one level of names under the prefix, folders with a null id.
    http.post(`${base}/object/list/:bucket`, async ({ request, params }) => {
      const identity = await gate.identify(request, "storage");
      if (identity instanceof Response) return identity;
      const { prefix, limit } = (await request.json()) as { prefix: string; limit: number };
      const folder = prefix.replace(/\/$/, "");
      const { rows } = await run(as(identity), (tx) =>
        tx.query<{ name: string; id: string; metadata: unknown }>(
          "select name, id, metadata from storage.objects where bucket_id = $1 and starts_with(name, $2) order by name",
          [String(params.bucket), `${folder}/`],
        ),
      );
      const entries = rows.map((row) => {
        const rest = row.name.slice(folder.length + 1);
        return rest.includes("/") ? { name: rest.split("/")[0], id: null } : { name: rest, id: row.id, metadata: row.metadata };
      });
      return HttpResponse.json([...new Map(entries.map((entry) => [entry.name, entry])).values()].slice(0, limit));
    }),

    // POST /object/upload/sign/<bucket>/<path>: storage-api first tries the row's
    // insert as the caller and rolls it back (canUpload), then signs a token for that path.
    http.post(`${base}/object/upload/sign/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.sign", request);
      if (identity instanceof Response) return identity;
      const bucket = await findBucket(String(params.bucket));
      if (!bucket) return noBucket();
      const name = objectName(request, "object/upload/sign", bucket.id);
      const owner = identity.role === "authenticated" ? identity.sub : null;
      const upsert = request.headers.get("x-upsert") === "true";
      const allowed = await run(as(identity), async (tx) => {
        await writeRow(tx, bucket.id, name, owner, upsert, {});
        throw new Rollback();
      }).catch((error: unknown) => (error instanceof Rollback ? null : databaseFailure(error)));
      if (allowed) return allowed;
      const token = await signToken({ url: `${bucket.id}/${name}`, owner, upsert }, 2 * 3600);
      return HttpResponse.json({ url: `/object/upload/sign/${bucket.id}/${encodeURI(name)}?token=${token}`, token });
    }),

    // PUT /object/upload/sign/<bucket>/<path>?token=…: no apikey or session; the token is the authority.
    http.put(`${base}/object/upload/sign/:bucket/*`, async ({ request, params }) => {
      const failed = await gate.enter("storage.upload", request);
      if (failed) return failed;
      const name = objectName(request, "object/upload/sign", String(params.bucket));
      const claims = await verifyToken(new URL(request.url).searchParams.get("token") ?? "");
      if (!claims || claims.url !== `${params.bucket}/${name}`) return storageFailure("400", "InvalidJWT", "invalid signature");
      const bucket = await findBucket(String(params.bucket));
      if (!bucket) return noBucket();
      return store(request, bucket, name, (claims.owner as string | null) ?? null, claims.upsert === true, "superuser");
    }),

    // Before the upload route: `sign` would otherwise be read as a bucket name.
    http.post(`${base}/object/sign/:bucket`, async ({ request, params }) => {
      const identity = await enter("storage.sign", request);
      if (identity instanceof Response) return identity;
      const bucket = String(params.bucket);
      if (!(await findBucket(bucket))) return noBucket();
      const { expiresIn, paths } = (await request.json()) as { expiresIn: number; paths: string[] };
      const seen = await visible(as(identity), bucket, paths);
      const signed = await Promise.all(
        paths.map(async (path) => {
          if (!seen.has(path)) return { error: "Either the object does not exist or you do not have access to it", path, signedURL: null };
          const token = await signToken({ url: `${bucket}/${path}` }, expiresIn);
          return { error: null, path, signedURL: `/object/sign/${bucket}/${encodeURI(path)}?token=${token}` };
        }),
      );
      return HttpResponse.json(signed);
    }),

    http.get(`${base}/object/sign/:bucket/*`, async ({ request, params }) => {
      const name = objectName(request, "object/sign", String(params.bucket));
      const claims = await verifyToken(new URL(request.url).searchParams.get("token") ?? "");
      if (!claims || claims.url !== `${params.bucket}/${name}`) return storageFailure("400", "InvalidJWT", "invalid signature");
      const object = objects.get(`${params.bucket}/${name}`);
      if (!object || !(await visible("superuser", String(params.bucket), [name])).size) return storageFailure("404", "not_found", "Object not found");
      return serve(object, downloadHeaders(new URL(request.url).searchParams.get("download")));
    }),

    http.post(`${base}/object/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.upload", request);
      if (identity instanceof Response) return identity;
      const bucket = await findBucket(String(params.bucket));
      if (!bucket) return noBucket();
      const name = objectName(request, "object", bucket.id);
      const owner = identity.role === "authenticated" ? identity.sub : null;
      return store(request, bucket, name, owner, request.headers.get("x-upsert") === "true", as(identity));
    }),

    // Batch delete: the rows the delete policy lets the caller remove go, with their bytes; the rest are skipped silently.
    http.delete(`${base}/object/:bucket`, async ({ request, params }) => {
      const identity = await enter("storage.remove", request);
      if (identity instanceof Response) return identity;
      const bucket = String(params.bucket);
      if (!(await findBucket(bucket))) return noBucket();
      const { prefixes } = (await request.json()) as { prefixes: string[] };
      const { rows } = await run(as(identity), (tx) =>
        tx.query<{ name: string }>(
          `delete from storage.objects where bucket_id = $1 and name = any($2::text[])
           returning name, bucket_id, owner, id, updated_at, created_at, last_accessed_at, metadata`,
          [bucket, prefixes],
        ),
      );
      for (const row of rows) objects.delete(`${bucket}/${row.name}`);
      return HttpResponse.json(rows);
    }),

    // Last: GET /object/sign/… above would otherwise be read as a bucket named "sign".
    // GET /object/<bucket>/<path>: authenticated download (supabase-js `download`), under the select policy.
    http.get(`${base}/object/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.download", request);
      if (identity instanceof Response) return identity;
      const bucket = String(params.bucket);
      if (!(await findBucket(bucket))) return noBucket();
      const name = objectName(request, "object", bucket);
      const object = objects.get(`${bucket}/${name}`);
      if (!object || !(await visible(as(identity), bucket, [name])).size) return storageFailure("404", "not_found", "Object not found");
      return serve(object);
    }),
  ];
}

/** Thrown to end a permission-test transaction without keeping its row. */
class Rollback extends Error {}
