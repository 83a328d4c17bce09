import { randomUUID } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import type { Gate, Identity } from "@/tests/msw/supabase-handlers";

/**
 * Supabase Storage for the private `sdxl-images` bucket: upload (x-upsert),
 * batch delete by prefixes, batch signed URLs and serving a signed URL,
 * signed upload URLs (sign as the person, then PUT with only the token, as a
 * browser does) and authenticated download. The
 * bucket's limits and the migration's storage policies (first folder must be
 * the caller's id; the service role may do anything) are enforced, and errors
 * come back the way storage-api sends them: HTTP 400 with the real code in the
 * body's `statusCode`.
 */

export type StoredObject = { bytes: Uint8Array; contentType: string; owner: string | null; id: string; createdAt: string };

export const BUCKET = "sdxl-images";
const MAX_BYTES = 20 * 1024 * 1024;
const ALLOWED_TYPES = ["image/png", "image/jpeg", "image/webp"];

const storageFailure = (statusCode: string, error: string, message: string, status = 400) =>
  HttpResponse.json({ statusCode, error, message }, { status });

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
  objects,
  signToken,
  verifyToken,
}: {
  url: string;
  gate: Gate;
  /** Keyed by object name (`<user id>/<file>`). */
  objects: Map<string, StoredObject>;
  signToken: (claims: Record<string, unknown>, expiresIn: number) => Promise<string>;
  verifyToken: (token: string) => Promise<Record<string, unknown> | null>;
}): HttpHandler[] {
  const base = `${url}/storage/v1`;

  // storage.objects policies: `(storage.foldername(name))[1] = auth.uid()::text`.
  const allowed = (identity: Identity, name: string) =>
    identity.role === "service_role" || (identity.role === "authenticated" && name.split("/")[0] === identity.sub);

  const noBucket = () => storageFailure("404", "Bucket not found", "Bucket not found");

  async function enter(route: "storage.upload" | "storage.remove" | "storage.sign" | "storage.download", request: Request) {
    return (await gate.enter(route, request)) ?? gate.identify(request, "storage");
  }

  /** Stores an upload the way storage-api does for both routes: type and size limits, no silent overwrite. */
  async function store(request: Request, name: string, owner: string | null, upsert: boolean): Promise<Response> {
    const contentType = (request.headers.get("content-type") ?? "").split(";")[0].trim();
    if (!ALLOWED_TYPES.includes(contentType)) return storageFailure("415", "invalid_mime_type", `mime type ${contentType} is not supported`);
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > MAX_BYTES) return storageFailure("413", "Payload too large", "The object exceeded the maximum allowed size", 413);
    const existing = objects.get(name);
    if (existing && !upsert) return storageFailure("409", "Duplicate", "The resource already exists");
    const id = existing?.id ?? randomUUID();
    objects.set(name, { bytes, contentType, owner, id, createdAt: existing?.createdAt ?? new Date().toISOString() });
    return HttpResponse.json({ Key: `${BUCKET}/${name}`, Id: id });
  }

  return [
    // POST /object/upload/sign/<bucket>/<path>: a token for uploading that one
    // path, issued only to someone the insert policy would let write it.
    http.post(`${base}/object/upload/sign/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.sign", request);
      if (identity instanceof Response) return identity;
      if (params.bucket !== BUCKET) return noBucket();
      const name = decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/object/upload/sign/${BUCKET}/`.length));
      if (!allowed(identity, name)) return storageFailure("403", "Unauthorized", "new row violates row-level security policy");
      const owner = identity.role === "authenticated" ? identity.sub : null;
      const token = await signToken({ url: `${BUCKET}/${name}`, owner, upsert: request.headers.get("x-upsert") === "true" }, 2 * 3600);
      return HttpResponse.json({ url: `/object/upload/sign/${BUCKET}/${encodeURI(name)}?token=${token}`, token });
    }),

    // PUT /object/upload/sign/<bucket>/<path>?token=…: no apikey or session, the token is the authority.
    http.put(`${base}/object/upload/sign/:bucket/*`, async ({ request, params }) => {
      const failed = await gate.enter("storage.upload", request);
      if (failed) return failed;
      const name = decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/object/upload/sign/${String(params.bucket)}/`.length));
      const claims = await verifyToken(new URL(request.url).searchParams.get("token") ?? "");
      if (!claims || claims.url !== `${params.bucket}/${name}`) return storageFailure("400", "InvalidJWT", "invalid signature");
      return store(request, name, (claims.owner as string | null) ?? null, claims.upsert === true);
    }),

    // Before the upload route: `sign` would otherwise be read as a bucket name.
    http.post(`${base}/object/sign/:bucket`, async ({ request, params }) => {
      const identity = await enter("storage.sign", request);
      if (identity instanceof Response) return identity;
      if (params.bucket !== BUCKET) return noBucket();
      const { expiresIn, paths } = (await request.json()) as { expiresIn: number; paths: string[] };
      const signed = await Promise.all(
        paths.map(async (path) => {
          if (!objects.has(path) || !allowed(identity, path)) {
            return { error: "Either the object does not exist or you do not have access to it", path, signedURL: null };
          }
          const token = await signToken({ url: `${BUCKET}/${path}` }, expiresIn);
          return { error: null, path, signedURL: `/object/sign/${BUCKET}/${encodeURI(path)}?token=${token}` };
        }),
      );
      return HttpResponse.json(signed);
    }),

    http.get(`${base}/object/sign/:bucket/*`, async ({ request, params }) => {
      const name = decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/object/sign/${String(params.bucket)}/`.length));
      const claims = await verifyToken(new URL(request.url).searchParams.get("token") ?? "");
      const object = objects.get(name);
      if (!claims || claims.url !== `${params.bucket}/${name}`) return storageFailure("400", "InvalidJWT", "invalid signature");
      if (!object) return storageFailure("404", "not_found", "Object not found");
      return new HttpResponse(object.bytes.slice().buffer, {
        headers: { "content-type": object.contentType, ...downloadHeaders(new URL(request.url).searchParams.get("download")) },
      });
    }),

    http.post(`${base}/object/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.upload", request);
      if (identity instanceof Response) return identity;
      if (params.bucket !== BUCKET) return noBucket();
      const name = decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/object/${BUCKET}/`.length));
      if (!allowed(identity, name)) return storageFailure("403", "Unauthorized", "new row violates row-level security policy");
      const contentType = request.headers.get("content-type") ?? "";
      if (!ALLOWED_TYPES.includes(contentType)) return storageFailure("415", "invalid_mime_type", `mime type ${contentType} is not supported`);
      const bytes = new Uint8Array(await request.arrayBuffer());
      if (bytes.byteLength > MAX_BYTES) return storageFailure("413", "Payload too large", "The object exceeded the maximum allowed size", 413);
      const existing = objects.get(name);
      if (existing && request.headers.get("x-upsert") !== "true") return storageFailure("409", "Duplicate", "The resource already exists");
      const id = existing?.id ?? randomUUID();
      objects.set(name, {
        bytes,
        contentType,
        owner: identity.role === "authenticated" ? identity.sub : null,
        id,
        createdAt: existing?.createdAt ?? new Date().toISOString(),
      });
      return HttpResponse.json({ Key: `${BUCKET}/${name}`, Id: id });
    }),

    http.delete(`${base}/object/:bucket`, async ({ request, params }) => {
      const identity = await enter("storage.remove", request);
      if (identity instanceof Response) return identity;
      if (params.bucket !== BUCKET) return noBucket();
      const { prefixes } = (await request.json()) as { prefixes: string[] };
      const removed = [];
      for (const name of prefixes) {
        const object = objects.get(name);
        // Objects the caller may not see are skipped silently, as under RLS.
        if (!object || !allowed(identity, name)) continue;
        objects.delete(name);
        removed.push({
          name,
          bucket_id: BUCKET,
          owner: object.owner,
          id: object.id,
          updated_at: object.createdAt,
          created_at: object.createdAt,
          last_accessed_at: object.createdAt,
          metadata: { mimetype: object.contentType, size: object.bytes.byteLength },
        });
      }
      return HttpResponse.json(removed);
    }),
    // Last: GET /object/sign/… above would otherwise be read as a bucket named "sign".
    // GET /object/<bucket>/<path>: authenticated download (supabase-js `download`), under the read policy.
    http.get(`${base}/object/:bucket/*`, async ({ request, params }) => {
      const identity = await enter("storage.download", request);
      if (identity instanceof Response) return identity;
      if (params.bucket !== BUCKET) return noBucket();
      const name = decodeURIComponent(new URL(request.url).pathname.slice(`/storage/v1/object/${BUCKET}/`.length));
      const object = objects.get(name);
      if (!object || !allowed(identity, name)) return storageFailure("404", "not_found", "Object not found");
      return new HttpResponse(object.bytes.slice().buffer, { headers: { "content-type": object.contentType, "content-length": String(object.bytes.byteLength) } });
    }),

  ];
}
