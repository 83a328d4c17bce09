import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { closeDatabase, getDatabase, MEMORY_DATA_DIR, openDatabase, withIdentity, type DbIdentity } from "@/lib/local/database";
import { createLocalFileStore } from "@/lib/local/local-files";
import { createLocalRowStore } from "@/lib/local/local-rows";
import type { InputValues } from "@/lib/models/input-fields";
import type { NewImageRow, NewPredictionRow, RowStore } from "@/lib/predictions/ports";

type User = { id: string; email: string };

const INPUT: InputValues = { prompt: "a lighthouse at dusk", width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5, seed: 42 };
const MODEL = { model: "local-preview", model_name: "Local preview model", model_key: "local-preview" } as const;

let dataDir: string;
let db: PGlite;
let alice: User;
let bob: User;
let asAlice: DbIdentity;
let asBob: DbIdentity;
let aliceRows: RowStore;
let bobRows: RowStore;

async function createUser(email: string): Promise<User> {
  // As PGlite's superuser, the way local sign-up writes auth.users.
  const { rows } = await db.query<{ id: string }>(
    "insert into auth.users (email, encrypted_password) values ($1, 'not-a-real-hash') returning id",
    [email],
  );
  return { id: rows[0].id, email };
}

const predictionId = () => `p${randomUUID().replaceAll("-", "").slice(0, 20)}`;

function predictionRow(user: User, extra: Partial<NewPredictionRow> = {}): NewPredictionRow {
  return { id: predictionId(), user_id: user.id, ...MODEL, input: INPUT, seed: 42, output_count: 1, status: "starting", ...extra };
}

async function createPrediction(rows: RowStore, user: User, extra: Partial<NewPredictionRow> = {}) {
  return rows.insertPrediction(predictionRow(user, extra));
}

/** Output `index` of a prediction, stored where the app stores it (the first output keeps the bare name). */
function imageFor(user: User, predictionIdValue: string, index = 0): NewImageRow {
  return {
    user_id: user.id,
    prediction_id: predictionIdValue,
    output_index: index,
    prompt: String(INPUT.prompt),
    input: INPUT,
    model: MODEL.model,
    model_name: MODEL.model_name,
    seed: 42 + index,
    storage_path: `${user.id}/${predictionIdValue}${index === 0 ? "" : `-${index}`}.png`,
    content_type: "image/png",
    bytes: 1234,
    width: 1024,
    height: 1024,
  };
}

const bytesOf = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(text));
      controller.close();
    },
  });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-row-security-"));
  db = await openDatabase(dataDir);
  alice = await createUser("alice@example.com");
  bob = await createUser("bob@example.com");
  asAlice = { kind: "user", user: alice };
  asBob = { kind: "user", user: bob };
  aliceRows = createLocalRowStore({ db, identity: asAlice });
  bobRows = createLocalRowStore({ db, identity: asBob });
});

afterAll(async () => {
  await closeDatabase(dataDir);
  if (db && !db.closed) await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("predictions", () => {
  it("lets the owner read their prediction and hides it from another user", async () => {
    const prediction = await createPrediction(aliceRows, alice);

    expect(await aliceRows.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({
      id: prediction.id,
      input: INPUT,
      ...MODEL,
      seed: 42,
      output_count: 1,
      started_at: null,
    });
    expect(await bobRows.getPrediction({ id: prediction.id, userId: alice.id })).toBeNull();
    expect(await bobRows.getPrediction({ id: prediction.id, userId: bob.id })).toBeNull();

    const raw = await withIdentity(db, asBob, (tx) => tx.query("select id from public.predictions"));
    expect(raw.rows).toEqual([]);
  });

  it("does not let another user update someone's prediction", async () => {
    const prediction = await createPrediction(aliceRows, alice);

    await bobRows.updatePrediction({ id: prediction.id, userId: alice.id, status: "canceled", error: "x", completedAt: new Date().toISOString() });
    const raw = await withIdentity(db, asBob, (tx) =>
      tx.query("update public.predictions set status = 'failed' where id = $1", [prediction.id]),
    );

    expect(raw.affectedRows).toBe(0);
    expect(await aliceRows.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({ status: "starting", error: null });
  });

  it("lets the owner update status, error and completion time", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const completedAt = "2026-01-02T03:04:05.678Z";

    await aliceRows.updatePrediction({ id: prediction.id, userId: alice.id, status: "failed", error: "NSFW", completedAt });

    const row = await aliceRows.getPrediction({ id: prediction.id, userId: alice.id });
    expect(row).toMatchObject({ status: "failed", error: "NSFW" });
    expect(new Date(row!.completed_at!).toISOString()).toBe(completedAt);
  });

  it("records the start time and the seed once, when first known, and keeps them after", async () => {
    const prediction = await createPrediction(aliceRows, alice, { seed: null });
    const startedAt = "2026-01-02T03:04:00.000Z";
    const update = { id: prediction.id, userId: alice.id, error: null, completedAt: null };

    await aliceRows.updatePrediction({ ...update, status: "processing" });
    expect(await aliceRows.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({ status: "processing", started_at: null, seed: null });

    await aliceRows.updatePrediction({ ...update, status: "processing", startedAt, seed: 4_294_967_295 });
    await aliceRows.updatePrediction({ ...update, status: "succeeded", startedAt: "2026-01-02T03:04:30.000Z", seed: 7 });

    const row = await aliceRows.getPrediction({ id: prediction.id, userId: alice.id });
    expect(row).toMatchObject({ status: "succeeded", seed: 4_294_967_295 });
    expect(new Date(row!.started_at!).toISOString()).toBe(startedAt);
  });

  it("keeps predictions as a ledger: nobody deletes them, not even the owner", async () => {
    const prediction = await createPrediction(aliceRows, alice);

    for (const identity of [asAlice, asBob]) {
      await expect(
        withIdentity(db, identity, (tx) => tx.query("delete from public.predictions where id = $1", [prediction.id])),
      ).rejects.toThrow(/permission denied/);
    }
    expect(await aliceRows.getPrediction({ id: prediction.id, userId: alice.id })).not.toBeNull();
  });

  it("does not let an owner change user_id or created_at, or backdate a new prediction", async () => {
    const prediction = await createPrediction(aliceRows, alice);

    for (const sql of [
      "update public.predictions set user_id = $2 where id = $1",
      "update public.predictions set created_at = '2000-01-01' where id = $1 and $2::uuid is not null",
    ]) {
      await expect(withIdentity(db, asAlice, (tx) => tx.query(sql, [prediction.id, bob.id]))).rejects.toThrow(/permission denied/);
    }
    await expect(
      withIdentity(db, asAlice, (tx) =>
        tx.query(
          "insert into public.predictions (id, user_id, model, model_name, input, status, created_at) values ($1, $2, 'm', 'M', '{}', 'starting', '2000-01-01')",
          [predictionId(), alice.id],
        ),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it("refuses to record a prediction for someone else", async () => {
    const attempt = bobRows.insertPrediction(predictionRow(alice));
    await expect(attempt).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a raw insert for someone else, even one that asks nothing back", async () => {
    // Without RETURNING the read policy never sees the row: only the insert
    // policy stands between Bob and a row on Alice's limit record.
    const row = predictionRow(alice);
    const attempt = withIdentity(db, asBob, (tx) =>
      tx.query("insert into public.predictions (id, user_id, model, model_name, input, status) values ($1, $2, $3, $4, $5, 'starting')", [
        row.id, alice.id, row.model, row.model_name, JSON.stringify(row.input),
      ]),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
    const { rows } = await db.query("select id from public.predictions where id = $1", [row.id]);
    expect(rows).toEqual([]);
  });

  it("rejects a duplicate prediction id as a conflict and a malformed id as a bad request", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const again = aliceRows.insertPrediction(predictionRow(alice, { id: prediction.id }));
    await expect(again).rejects.toMatchObject({ code: "conflict" });

    const malformed = aliceRows.insertPrediction(predictionRow(alice, { id: "../etc" }));
    await expect(malformed).rejects.toMatchObject({ code: "bad_request" });
  });

  it("counts only the user's own recent and running predictions", async () => {
    const carol = await createUser("carol@example.com");
    const carolRows = createLocalRowStore({ db, identity: { kind: "user", user: carol } });
    const since = new Date(Date.now() - 60_000).toISOString();
    const first = await createPrediction(carolRows, carol);
    await createPrediction(carolRows, carol);
    await carolRows.updatePrediction({ id: first.id, userId: carol.id, status: "succeeded", error: null, completedAt: new Date().toISOString() });

    expect(await carolRows.countPredictionsSince({ userId: carol.id, since })).toBe(2);
    const running = await carolRows.listRunningPredictions({ userId: carol.id, since });
    expect(running.map((row) => row.status)).toEqual(["starting"]);
    expect(await bobRows.listRunningPredictions({ userId: carol.id, since })).toEqual([]);
    expect(await bobRows.countPredictionsSince({ userId: carol.id, since })).toBe(0);
    expect(await carolRows.countPredictionsSince({ userId: carol.id, since: new Date(Date.now() + 60_000).toISOString() })).toBe(0);
  });
});

describe("images", () => {
  it("reads a prediction with its images in one call, by output index, for its owner only", async () => {
    const prediction = await createPrediction(aliceRows, alice, { output_count: 2 });
    expect(await aliceRows.getPredictionWithImages({ id: prediction.id, userId: alice.id })).toEqual({ prediction, images: [] });

    // Saved out of order (outputs download in parallel): read back in output order.
    const second = await aliceRows.insertImage(imageFor(alice, prediction.id, 1));
    const first = await aliceRows.insertImage(imageFor(alice, prediction.id, 0));
    expect(await aliceRows.getPredictionWithImages({ id: prediction.id, userId: alice.id })).toEqual({ prediction, images: [first, second] });
    expect(await bobRows.getPredictionWithImages({ id: prediction.id, userId: alice.id })).toBeNull();
    expect(await bobRows.getPredictionWithImages({ id: prediction.id, userId: bob.id })).toBeNull();
    expect(await aliceRows.getPredictionWithImages({ id: "no-such-prediction", userId: alice.id })).toBeNull();
  });

  it("hides an owner's images from another user and keeps them from deleting them", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id));

    expect(await bobRows.getImage({ id: image.id, userId: alice.id })).toBeNull();
    expect(await bobRows.getImageByOutput({ predictionId: prediction.id, outputIndex: 0, userId: alice.id })).toBeNull();
    expect(await bobRows.listImages({ userId: alice.id, limit: 50 })).toEqual([]);
    expect(await bobRows.deleteImage({ id: image.id, userId: alice.id })).toBeNull();

    const raw = await withIdentity(db, asBob, async (tx) => {
      const deleted = await tx.query("delete from public.sdxl_images where id = $1", [image.id]);
      const visible = await tx.query("select id from public.sdxl_images");
      return { deleted: deleted.affectedRows, visible: visible.rows };
    });
    expect(raw).toEqual({ deleted: 0, visible: [] });
    expect(await aliceRows.getImage({ id: image.id, userId: alice.id })).toEqual(image);
  });

  it("does not let another user attach an image to someone's prediction", async () => {
    const prediction = await createPrediction(aliceRows, alice);

    await expect(bobRows.insertImage(imageFor(bob, prediction.id))).rejects.toMatchObject({ code: "not_found" });
    await expect(bobRows.insertImage(imageFor(alice, prediction.id))).rejects.toBeInstanceOf(AppError);
    expect(await aliceRows.getImageByOutput({ predictionId: prediction.id, outputIndex: 0, userId: alice.id })).toBeNull();
  });

  it("saves each output of a prediction as its own image, once per output index", async () => {
    const prediction = await createPrediction(aliceRows, alice, { output_count: 2 });
    const first = await aliceRows.insertImage(imageFor(alice, prediction.id, 0));
    const second = await aliceRows.insertImage(imageFor(alice, prediction.id, 1));
    expect(first).toMatchObject({ output_index: 0, storage_path: `${alice.id}/${prediction.id}.png`, seed: 42 });
    expect(second).toMatchObject({ output_index: 1, storage_path: `${alice.id}/${prediction.id}-1.png`, seed: 43 });
    expect(second.id).not.toBe(first.id);

    // The same output again, in turn or at once, is the row already there.
    expect(await aliceRows.insertImage({ ...imageFor(alice, prediction.id, 1), bytes: 999 })).toEqual(second);
    const [a, b] = await Promise.all([
      aliceRows.insertImage(imageFor(alice, prediction.id, 0)),
      aliceRows.insertImage(imageFor(alice, prediction.id, 0)),
    ]);
    expect([a, b]).toEqual([first, first]);
    expect(await aliceRows.getImageByOutput({ predictionId: prediction.id, outputIndex: 1, userId: alice.id })).toEqual(second);

    const { rows } = await db.query<{ output_index: number; storage_path: string }>(
      "select output_index, storage_path from public.sdxl_images where prediction_id = $1 order by output_index",
      [prediction.id],
    );
    expect(rows).toEqual([
      { output_index: 0, storage_path: first.storage_path },
      { output_index: 1, storage_path: second.storage_path },
    ]);
  });

  it("does not let another user add an image to someone's prediction at a new output index", async () => {
    const prediction = await createPrediction(aliceRows, alice, { output_count: 3 });
    const saved = await aliceRows.insertImage(imageFor(alice, prediction.id, 0));

    await expect(bobRows.insertImage(imageFor(bob, prediction.id, 1))).rejects.toMatchObject({ code: "not_found" });
    await expect(bobRows.insertImage(imageFor(alice, prediction.id, 2))).rejects.toBeInstanceOf(AppError);
    const raw = withIdentity(db, asBob, (tx) =>
      tx.query(
        `insert into public.sdxl_images (user_id, prediction_id, output_index, prompt, input, model, model_name, storage_path, content_type, bytes, width, height)
         values ($1, $2, 1, 'p', '{}', 'm', 'M', $3, 'image/png', 1, 1, 1)`,
        [alice.id, prediction.id, `${alice.id}/${prediction.id}-1.png`],
      ),
    );
    await expect(raw).rejects.toThrow(/row-level security/);

    const { rows } = await db.query<{ output_index: number; user_id: string }>(
      "select output_index, user_id from public.sdxl_images where prediction_id = $1",
      [prediction.id],
    );
    expect(rows).toEqual([{ output_index: 0, user_id: alice.id }]);
    expect((await aliceRows.getPredictionWithImages({ id: prediction.id, userId: alice.id }))?.images).toEqual([saved]);
  });

  it("does not let a user save an image row as someone else, even for their own prediction", async () => {
    const prediction = await createPrediction(bobRows, bob);
    const raw = withIdentity(db, asBob, (tx) =>
      tx.query(
        `insert into public.sdxl_images (user_id, prediction_id, output_index, prompt, input, model, model_name, storage_path, content_type, bytes, width, height)
         values ($1, $2, 0, 'p', '{}', 'm', 'M', $3, 'image/png', 1, 1, 1)`,
        [alice.id, prediction.id, `${alice.id}/${prediction.id}.png`],
      ),
    );
    await expect(raw).rejects.toThrow(/row-level security/);
  });

  it("keeps each image inside its owner's storage folder", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const outside = { ...imageFor(alice, prediction.id), storage_path: `${bob.id}/${prediction.id}.png` };
    await expect(aliceRows.insertImage(outside)).rejects.toMatchObject({ code: "bad_request" });
  });

  it("does not let even the service role attach an image to another user's prediction", async () => {
    const service = createLocalRowStore({ db, identity: { kind: "service" } });
    const prediction = await createPrediction(aliceRows, alice);
    await expect(service.insertImage(imageFor(bob, prediction.id))).rejects.toMatchObject({ code: "not_found" });
  });

  it("does not let anyone edit a saved image row", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id));
    const edit = withIdentity(db, asAlice, (tx) => tx.query("update public.sdxl_images set prompt = 'x' where id = $1", [image.id]));
    await expect(edit).rejects.toThrow(/permission denied/);
  });

  it("saves one image per output when the save runs twice, one after the other or at once", async () => {
    const sequential = await createPrediction(aliceRows, alice);
    const first = await aliceRows.insertImage(imageFor(alice, sequential.id));
    const second = await aliceRows.insertImage({ ...imageFor(alice, sequential.id), bytes: 999 });
    expect(second).toEqual(first);

    const concurrent = await createPrediction(aliceRows, alice);
    const [a, b] = await Promise.all([
      aliceRows.insertImage(imageFor(alice, concurrent.id)),
      aliceRows.insertImage(imageFor(alice, concurrent.id)),
    ]);
    expect(a).toEqual(b);

    const { rows } = await db.query<{ count: number }>(
      "select count(*)::int as count from public.sdxl_images where prediction_id = any($1)",
      [[sequential.id, concurrent.id]],
    );
    expect(rows[0].count).toBe(2);
  });

  it("returns rows with ISO timestamps, numbers and objects", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id));

    expect(image).toMatchObject({
      bytes: 1234,
      width: 1024,
      height: 1024,
      input: INPUT,
      prediction_id: prediction.id,
      output_index: 0,
      model_name: MODEL.model_name,
      seed: 42,
    });
    expect(image.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Number.isNaN(Date.parse(image.created_at))).toBe(false);
  });

  it("lists a user's images newest first, page by page, without gaps or repeats", async () => {
    const dave = await createUser("dave@example.com");
    const daveRows = createLocalRowStore({ db, identity: { kind: "user", user: dave } });
    const saved = [];
    for (let i = 0; i < 5; i++) {
      const prediction = await createPrediction(daveRows, dave);
      saved.push(await daveRows.insertImage(imageFor(dave, prediction.id)));
    }
    // Same timestamp for two rows: the id must break the tie.
    await db.query("update public.sdxl_images set created_at = '2026-01-01T00:00:00.000001Z' where id = any($1)", [
      [saved[1].id, saved[2].id],
    ]);

    const seen = [];
    let cursor: { created_at: string; id: string } | undefined;
    for (;;) {
      const page = await daveRows.listImages({ userId: dave.id, limit: 2, cursor });
      if (page.length === 0) break;
      seen.push(...page);
      const last = page[page.length - 1];
      cursor = { created_at: last.created_at, id: last.id };
    }

    expect(seen.map((row) => row.id).sort()).toEqual(saved.map((row) => row.id).sort());
    const keys = seen.map((row) => `${row.created_at}|${row.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });

  it("lets the owner delete their image", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id));
    expect(await aliceRows.deleteImage({ id: image.id, userId: alice.id })).toEqual(image);
    expect(await aliceRows.getImage({ id: image.id, userId: alice.id })).toBeNull();
  });
});

describe("input images", () => {
  async function inputOf(user: User) {
    const id = randomUUID();
    await withIdentity(db, { kind: "user", user }, (tx) =>
      tx.query("insert into public.input_images (id, user_id, storage_path, content_type) values ($1, $2, $3, 'image/png')", [
        id, user.id, `${user.id}/inputs/${id}.png`,
      ]),
    );
    return id;
  }

  it("shows a person only their own uploaded photos", async () => {
    const aliceInput = await inputOf(alice);
    const seen = await withIdentity(db, asBob, (tx) => tx.query<{ id: string }>("select id from public.input_images"));
    expect(seen.rows.map((row) => row.id)).not.toContain(aliceInput);
    const own = await withIdentity(db, asAlice, (tx) => tx.query<{ id: string }>("select id from public.input_images where id = $1", [aliceInput]));
    expect(own.rows).toHaveLength(1);
  });

  it("refuses to record someone else's photo as used by one's own prediction", async () => {
    const aliceInput = await inputOf(alice);
    const bobPrediction = await createPrediction(bobRows, bob);
    const attempt = withIdentity(db, asBob, (tx) =>
      tx.query("insert into public.prediction_inputs (prediction_id, name, input_id, user_id) values ($1, 'image', $2, $3)", [
        bobPrediction.id, aliceInput, bob.id,
      ]),
    );
    await expect(attempt).rejects.toThrow(/row-level security/);
    const bobInput = await inputOf(bob);
    await withIdentity(db, asBob, (tx) =>
      tx.query("insert into public.prediction_inputs (prediction_id, name, input_id, user_id) values ($1, 'image', $2, $3)", [
        bobPrediction.id, bobInput, bob.id,
      ]),
    );
  });
});

describe("statements that read nothing", () => {
  // An UPDATE or DELETE with no WHERE and no RETURNING reads no row, so
  // Postgres applies only that command's own policy, not the read policy:
  // these two are the only guard against someone else's bulk statement.
  it("a delete with no WHERE removes only the person's own images", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id));
    await withIdentity(db, asBob, (tx) => tx.query("delete from public.sdxl_images"));
    expect(await aliceRows.getImage({ id: image.id, userId: alice.id })).toEqual(image);
  });

  it("an update with no WHERE changes only the person's own predictions", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    await withIdentity(db, asBob, (tx) => tx.query("update public.predictions set error = 'overwritten by someone else'"));
    expect((await aliceRows.getPrediction({ id: prediction.id, userId: alice.id }))?.error).toBeNull();
  });
});

describe("files", () => {
  it("keeps another user from reading, replacing or deleting someone's file", async () => {
    const aliceFiles = createLocalFileStore({ db, identity: asAlice, dataDir });
    const bobFiles = createLocalFileStore({ db, identity: asBob, dataDir });
    const filePath = `${alice.id}/${predictionId()}.png`;
    await aliceFiles.upload({ path: filePath, body: bytesOf("alice's pixels"), contentType: "image/png", maxBytes: 1000 });

    expect(await bobFiles.open({ path: filePath })).toBeNull();
    await expect(
      bobFiles.upload({ path: filePath, body: bytesOf("bob's pixels"), contentType: "image/png", maxBytes: 1000 }),
    ).rejects.toMatchObject({ code: "not_found" });
    await bobFiles.remove({ path: filePath });

    const onDisk = path.join(dataDir, "storage", "sdxl-images", filePath);
    expect(await readFile(onDisk, "utf8")).toBe("alice's pixels");
    const raw = await withIdentity(db, asBob, (tx) => tx.query("select name from storage.objects"));
    expect(raw.rows).toEqual([]);
    const rows = await withIdentity(db, asAlice, (tx) => tx.query("select name from storage.objects where name = $1", [filePath]));
    expect(rows.rows).toHaveLength(1);
  });

  it("refuses a storage row in someone else's folder at the policy itself, not only in the file store", async () => {
    // What storage-api does for an upload: insert the object's row as the caller.
    const planted = withIdentity(db, asBob, (tx) =>
      tx.query("insert into storage.objects (bucket_id, name, owner) values ('sdxl-images', $1, $2)", [`${alice.id}/planted-by-sql.png`, bob.id]),
    );
    await expect(planted).rejects.toThrow(/row-level security/);
    const own = await withIdentity(db, asBob, (tx) =>
      tx.query("insert into storage.objects (bucket_id, name, owner) values ('sdxl-images', $1, $2) returning name", [`${bob.id}/own-by-sql.png`, bob.id]),
    );
    expect(own.rows).toHaveLength(1);
  });

  it("does not let a user upload a new file into someone else's folder", async () => {
    const bobFiles = createLocalFileStore({ db, identity: asBob, dataDir });
    const filePath = `${alice.id}/planted.png`;
    await expect(
      bobFiles.upload({ path: filePath, body: bytesOf("x"), contentType: "image/png", maxBytes: 1000 }),
    ).rejects.toMatchObject({ code: "not_found" });
    expect(existsSync(path.join(dataDir, "storage", "sdxl-images", filePath))).toBe(false);
  });
});

describe("anon", () => {
  it("sees nothing in predictions, images or storage objects", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    await aliceRows.insertImage(imageFor(alice, prediction.id));

    const asAnon = <T>(sql: string) =>
      db.transaction(async (tx) => {
        await tx.exec("set local role anon");
        return (await tx.query<T>(sql)).rows;
      });

    await expect(asAnon("select * from public.predictions")).rejects.toThrow(/permission denied/);
    await expect(asAnon("select * from public.sdxl_images")).rejects.toThrow(/permission denied/);
    expect(await asAnon("select * from storage.objects")).toEqual([]);
    await expect(
      asAnon(`insert into storage.objects (bucket_id, name) values ('sdxl-images', '${alice.id}/anon.png')`),
    ).rejects.toThrow(/row-level security/);
  });
});

describe("limits and deletions (20261203)", () => {
  const as = <T>(identity: DbIdentity, sql: string, values: unknown[] = []) =>
    withIdentity(db, identity, async (tx) => (await tx.query<T>(sql, values)).rows);

  it("keeps reservations out of reach except through the functions, which act for the caller only", async () => {
    // Alice has predictions from the tests above: limits high enough that they do not matter here.
    const held = await aliceRows.reservePrediction({ concurrent: 1000, perMinute: 1000 });
    expect(held.ok).toBe(true);
    await expect(as(asAlice, "select * from public.prediction_reservations")).rejects.toThrow(/permission denied/);
    await expect(as(asBob, "delete from public.prediction_reservations")).rejects.toThrow(/permission denied/);
    // Bob cannot release Alice's reservation by its id: the function only deletes the caller's own.
    if (held.ok) await bobRows.releaseReservation({ id: held.id });
    const { rows } = await db.query<{ user_id: string }>("select user_id from public.prediction_reservations");
    expect(rows).toEqual([{ user_id: alice.id }]);
    if (held.ok) await aliceRows.releaseReservation({ id: held.id });
    expect((await db.query("select 1 from public.prediction_reservations")).rows).toEqual([]);

    const asAnon = (sql: string) =>
      db.transaction(async (tx) => {
        await tx.exec("set local role anon");
        return (await tx.query(sql)).rows;
      });
    await expect(asAnon("select public.reserve_prediction(5, 5)")).rejects.toThrow(/permission denied/);
    await expect(asAnon(`select public.release_prediction_reservation('${randomUUID()}')`)).rejects.toThrow(/permission denied/);
  });

  it("records a deleted output on its prediction, which nobody but the trigger can change", async () => {
    const prediction = await createPrediction(aliceRows, alice, { output_count: 2 });
    const image = await aliceRows.insertImage(imageFor(alice, prediction.id, 1));
    await aliceRows.deleteImage({ id: image.id, userId: alice.id });
    expect(await aliceRows.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({ deleted_outputs: [1] });

    await expect(as(asAlice, "update public.predictions set deleted_outputs = '{}' where id = $1", [prediction.id])).rejects.toThrow(/permission denied/);
    // Output 0 was never deleted: it can still be saved; output 1 cannot, by anyone.
    await expect(aliceRows.insertImage(imageFor(alice, prediction.id, 0))).resolves.toMatchObject({ output_index: 0 });
    await expect(aliceRows.insertImage(imageFor(alice, prediction.id, 1))).rejects.toMatchObject({ name: "DeletedOutputError", status: 409 });
  });

  it("deletes an account whose images were deleted, saved and reserved, with everything of theirs", async () => {
    const carol = await createUser("carol-leaves@example.com");
    const carolRows = createLocalRowStore({ db, identity: { kind: "user", user: carol } });
    const prediction = await createPrediction(carolRows, carol, { output_count: 2 });
    const first = await carolRows.insertImage(imageFor(carol, prediction.id, 0));
    await carolRows.insertImage(imageFor(carol, prediction.id, 1));
    await carolRows.deleteImage({ id: first.id, userId: carol.id });
    expect((await carolRows.reservePrediction({ concurrent: 5, perMinute: 5 })).ok).toBe(true);

    await db.query("delete from auth.users where id = $1", [carol.id]);
    for (const table of ["predictions", "sdxl_images", "prediction_reservations"]) {
      expect((await db.query(`select 1 from public.${table} where user_id = $1`, [carol.id])).rows).toEqual([]);
    }
  });
});

describe("service role", () => {
  it("reaches any user's rows but still only through the user id it is given", async () => {
    const service = createLocalRowStore({ db, identity: { kind: "service" } });
    const prediction = await createPrediction(aliceRows, alice);

    expect(await service.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({ id: prediction.id });
    expect(await service.getPrediction({ id: prediction.id, userId: bob.id })).toBeNull();
  });
});

describe("migrations", () => {
  it("applies the migration once, records it, and keeps data across reopening", async () => {
    const prediction = await createPrediction(aliceRows, alice);
    const recorded = () =>
      db.query<{ version: string; name: string }>("select version, name from supabase_migrations.schema_migrations order by version");
    const before = (await recorded()).rows;
    expect(before).toContainEqual({ version: "20261124000000", name: "sdxl_studio" });
    expect(before).toContainEqual({ version: "20261202000000", name: "any_model" });
    await db.close();

    // Concurrent first calls share one open: two PGlite instances on one folder would corrupt it.
    const [first, second] = await Promise.all([getDatabase(dataDir), getDatabase(dataDir)]);
    expect(first).toBe(second);
    db = first;

    // A re-run would have failed on "relation already exists" or added a second record.
    expect((await recorded()).rows).toEqual(before);

    const reopened = createLocalRowStore({ db, identity: asAlice });
    expect(await reopened.getPrediction({ id: prediction.id, userId: alice.id })).toMatchObject({ id: prediction.id });
  });

  it("runs the same migration on an in-memory database", async () => {
    const memory = await openDatabase(MEMORY_DATA_DIR);
    try {
      const { rows } = await memory.query<{ version: string }>("select version from supabase_migrations.schema_migrations");
      expect(rows).toContainEqual({ version: "20261124000000" });
      const anonRead = memory.transaction(async (tx) => {
        await tx.exec("set local role anon");
        return tx.query("select * from public.predictions");
      });
      await expect(anonRead).rejects.toThrow(/permission denied/);
    } finally {
      await memory.close();
    }
  });
});
