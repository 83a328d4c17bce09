import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, withIdentity, type DbIdentity } from "@/lib/local/database";
import { createLocalFileStore, type LocalFileStore } from "@/lib/local/local-files";

let dataDir: string;
let db: PGlite;
let userId: string;
let identity: DbIdentity;
let files: LocalFileStore;

const bucketDir = () => path.join(dataDir, "storage", "sdxl-images");

function streamOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(body).text();
}

async function objectRows(name: string) {
  const { rows } = await db.query<{ name: string; owner: string | null; metadata: unknown }>(
    "select name, owner, metadata from storage.objects where bucket_id = 'sdxl-images' and name = $1",
    [name],
  );
  return rows;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-local-files-"));
  db = await openDatabase(dataDir);
  const { rows } = await db.query<{ id: string }>(
    "insert into auth.users (email, encrypted_password) values ('files@example.com', 'not-a-real-hash') returning id",
  );
  userId = rows[0].id;
  identity = { kind: "user", user: { id: userId, email: "files@example.com" } };
  files = createLocalFileStore({ db, identity, dataDir });
});

afterAll(async () => {
  if (db) await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("local file store", () => {
  it("streams an upload to disk, records it, and streams it back", async () => {
    const filePath = `${userId}/roundtrip.png`;
    const result = await files.upload({ path: filePath, body: streamOf("hello ", "pixels"), contentType: "image/png", maxBytes: 100 });

    expect(result).toEqual({ bytes: 12 });
    expect(await objectRows(filePath)).toEqual([
      { name: filePath, owner: userId, metadata: { mimetype: "image/png", size: 12 } },
    ]);
    const opened = await files.open({ path: filePath });
    expect(opened).toMatchObject({ contentType: "image/png", bytes: 12 });
    expect(await readAll(opened!.body)).toBe("hello pixels");
  });

  it("replaces a file uploaded to the same path, keeping one record", async () => {
    const filePath = `${userId}/replaced.webp`;
    await files.upload({ path: filePath, body: streamOf("first version"), contentType: "image/png", maxBytes: 100 });
    await files.upload({ path: filePath, body: streamOf("second"), contentType: "image/webp", maxBytes: 100 });

    const opened = await files.open({ path: filePath });
    expect(opened).toMatchObject({ contentType: "image/webp", bytes: 6 });
    expect(await readAll(opened!.body)).toBe("second");
    expect(await objectRows(filePath)).toHaveLength(1);
  });

  it("rejects an upload larger than maxBytes and leaves nothing behind", async () => {
    const filePath = `${userId}/too-big.png`;
    const upload = files.upload({ path: filePath, body: streamOf("12345", "67890", "X"), contentType: "image/png", maxBytes: 10 });

    await expect(upload).rejects.toMatchObject({ code: "payload_too_large", status: 413 });
    expect(existsSync(path.join(bucketDir(), filePath))).toBe(false);
    expect(await readdir(path.join(bucketDir(), userId))).not.toContainEqual(expect.stringContaining("too-big"));
    expect(await objectRows(filePath)).toEqual([]);
  });

  it("keeps the previous file when a replacement is too large", async () => {
    const filePath = `${userId}/kept.png`;
    await files.upload({ path: filePath, body: streamOf("original"), contentType: "image/png", maxBytes: 100 });
    await expect(
      files.upload({ path: filePath, body: streamOf("x".repeat(50)), contentType: "image/png", maxBytes: 10 }),
    ).rejects.toMatchObject({ code: "payload_too_large" });

    expect(await readAll((await files.open({ path: filePath }))!.body)).toBe("original");
  });

  it("applies the bucket's own size limit and allowed types", async () => {
    const filePath = `${userId}/typed.gif`;
    await expect(
      files.upload({ path: filePath, body: streamOf("GIF89a"), contentType: "image/gif", maxBytes: 100 }),
    ).rejects.toMatchObject({ code: "unsupported_media_type" });

    await db.query("update storage.buckets set file_size_limit = 4 where id = 'sdxl-images'");
    try {
      await expect(
        files.upload({ path: `${userId}/bucket-limit.png`, body: streamOf("12345"), contentType: "image/png", maxBytes: 100 }),
      ).rejects.toMatchObject({ code: "payload_too_large" });
    } finally {
      await db.query("update storage.buckets set file_size_limit = 20971520 where id = 'sdxl-images'");
    }
  });

  it("cleans up when the body stream fails midway", async () => {
    const filePath = `${userId}/broken.png`;
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array([1, 2, 3]));
        } else {
          controller.error(new Error("connection reset"));
        }
      },
    });

    await expect(files.upload({ path: filePath, body, contentType: "image/png", maxBytes: 100 })).rejects.toThrow("connection reset");
    const leftovers = (await readdir(path.join(bucketDir(), userId))).filter((name) => name.includes("broken"));
    expect(leftovers).toEqual([]);
    expect(await objectRows(filePath)).toEqual([]);
  });

  it.each([
    ["a parent-directory escape", "../../../etc/passwd"],
    ["an absolute path", "/etc/passwd"],
    ["a traversal after the user folder", "USER/../../outside.png"],
    ["a nested folder", "USER/nested/file.png"],
    ["a hidden file", "USER/.hidden.png"],
    ["a dot segment", "USER/.."],
    ["a folder that is not a user id", "not-a-uuid/file.png"],
    ["a missing file name", "USER/"],
    ["a backslash", "USER/..\\..\\x.png"],
    ["an encoded slash", "USER/a%2Fb.png"],
    ["a NUL byte", "USER/a\u0000.png"],
  ])("rejects %s as a path", async (_label, raw) => {
    const filePath = raw.replace("USER", userId);
    await expect(
      files.upload({ path: filePath, body: streamOf("x"), contentType: "image/png", maxBytes: 100 }),
    ).rejects.toMatchObject({ code: "bad_request" });
    await expect(files.remove({ path: filePath })).rejects.toMatchObject({ code: "bad_request" });
    expect(await files.open({ path: filePath })).toBeNull();
    expect((await files.displayUrls({ paths: [filePath] })).size).toBe(0);
  });

  it("removes the record and the file, and treats a missing file as removed", async () => {
    const filePath = `${userId}/removed.png`;
    await files.upload({ path: filePath, body: streamOf("bye"), contentType: "image/png", maxBytes: 100 });

    await files.remove({ path: filePath });
    expect(existsSync(path.join(bucketDir(), filePath))).toBe(false);
    expect(await objectRows(filePath)).toEqual([]);
    expect(await files.open({ path: filePath })).toBeNull();
    await expect(files.remove({ path: filePath })).resolves.toBeUndefined();

    const orphan = `${userId}/orphan-row.png`;
    await files.upload({ path: orphan, body: streamOf("x"), contentType: "image/png", maxBytes: 100 });
    await unlink(path.join(bucketDir(), orphan));
    await files.remove({ path: orphan });
    expect(await objectRows(orphan)).toEqual([]);
  });

  it("opens nothing without both a visible record and a file on disk", async () => {
    const noFile = `${userId}/record-only.png`;
    await files.upload({ path: noFile, body: streamOf("x"), contentType: "image/png", maxBytes: 100 });
    await unlink(path.join(bucketDir(), noFile));
    expect(await files.open({ path: noFile })).toBeNull();

    // A file placed on disk without going through upload has no record, so no one may read it.
    const noRecord = `${userId}/file-only.png`;
    await mkdir(path.join(bucketDir(), userId), { recursive: true });
    await writeFile(path.join(bucketDir(), noRecord), "sneaky");
    expect(await files.open({ path: noRecord })).toBeNull();
  });

  it("lets the service role open and remove any user's file", async () => {
    const filePath = `${userId}/service.png`;
    await files.upload({ path: filePath, body: streamOf("svc"), contentType: "image/png", maxBytes: 100 });
    const service = createLocalFileStore({ db, identity: { kind: "service" }, dataDir });

    expect(await readAll((await service.open({ path: filePath }))!.body)).toBe("svc");
    await service.remove({ path: filePath });
    expect(existsSync(path.join(bucketDir(), filePath))).toBe(false);
  });

  it("keeps a service-role upload owned by nobody but readable by the folder's user", async () => {
    const service = createLocalFileStore({ db, identity: { kind: "service" }, dataDir });
    const filePath = `${userId}/from-webhook.png`;
    await service.upload({ path: filePath, body: streamOf("hook"), contentType: "image/png", maxBytes: 100 });

    expect((await objectRows(filePath))[0].owner).toBeNull();
    expect(await readAll((await files.open({ path: filePath }))!.body)).toBe("hook");
  });

  it("maps each path to the authenticated file route", async () => {
    const paths = [`${userId}/a.png`, `${userId}/b.webp`];
    const urls = await files.displayUrls({ paths });
    expect([...urls]).toEqual([
      [paths[0], `/api/files/${userId}/a.png`],
      [paths[1], `/api/files/${userId}/b.webp`],
    ]);
  });

  it("shows storage records only to the folder's owner", async () => {
    const { rows } = await db.query<{ id: string }>(
      "insert into auth.users (email, encrypted_password) values ('other@example.com', 'not-a-real-hash') returning id",
    );
    const other: DbIdentity = { kind: "user", user: { id: rows[0].id, email: "other@example.com" } };
    const filePath = `${userId}/private.png`;
    await files.upload({ path: filePath, body: streamOf("mine"), contentType: "image/png", maxBytes: 100 });

    const seen = await withIdentity(db, other, (tx) => tx.query("select name from storage.objects"));
    expect(seen.rows).toEqual([]);
    expect(await createLocalFileStore({ db, identity: other, dataDir }).open({ path: filePath })).toBeNull();
  });
});
