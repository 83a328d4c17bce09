import { decodeJwt } from "jose";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { deleteImage, listGallery } from "@/lib/predictions/gallery";
import { thumbnailPaths } from "@/lib/predictions/thumbnails";
import type { InputValues } from "@/lib/models/input-fields";
import type { NewImageRow, NewPredictionRow, SessionUser } from "@/lib/predictions/ports";
import type { BackendRuntime } from "@/lib/server-context";
import { createSupabaseApi, PUBLISHABLE_KEY, SERVICE_ROLE_KEY, SUPABASE_URL, type SupabaseApi } from "@/tests/msw/supabase-handlers";
import { testCookies } from "@/tests/support/cookie-jar";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
const { createSupabaseBackend } = await import("@/lib/supabase/supabase-backend");

const config = { kind: "supabase", url: SUPABASE_URL, publishableKey: PUBLISHABLE_KEY, serviceRoleKey: SERVICE_ROLE_KEY } as const;
const PREDICTION_COLUMNS =
  "id,user_id,model,model_name,model_key,input,seed,output_count,status,error,created_at,started_at,completed_at,progress,logs_length,output,heard_at,next_read_at,deleted_outputs";
const IMAGE_COLUMNS =
  "id,user_id,prediction_id,output_index,prompt,input,model,model_name,seed,storage_path,content_type,bytes,width,height,created_at";
const input: InputValues = { prompt: "a lighthouse at dusk", width: 1024, height: 1024, num_outputs: 1, seed: 1234 };
const MODEL = {
  model: "stability-ai/sdxl:7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc",
  model_name: "Stable Diffusion XL",
  model_key: "stability-ai/sdxl",
} as const;
const png = new Uint8Array(3000).map((_, i) => (i * 31) & 255);

const server = setupServer();
let api: SupabaseApi;
let runtime: BackendRuntime;
type Session = { user: SessionUser; cookies: Map<string, string> };

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(async () => {
  api = await createSupabaseApi();
  server.resetHandlers(...api.handlers);
  runtime = await createSupabaseBackend(config);
  testCookies.clear();
});
afterEach(() => api.close());

type StoredImage = { user_id: string; output_index: number };
const OBJECT = (path: string) => `sdxl-images/${path}`;

async function signIn(email: string): Promise<Session> {
  api.addUser({ email });
  testCookies.clear();
  const user = await runtime.auth.signIn({ email, password: "correct horse battery" }, testCookies);
  return { user, cookies: testCookies.snapshot() };
}

/** Rows and files as this person, the way a route handler gets them (cookies of the request). */
function as(session: Session) {
  testCookies.restore(session.cookies);
  api.clearRequests();
  return runtime.backendFor(session.user);
}

function predictionRow(session: Session, id: string, outputCount = 1): NewPredictionRow {
  return { id, user_id: session.user.id, ...MODEL, input, seed: 1234, output_count: outputCount, status: "starting" };
}

async function prediction(session: Session, id = `p${Math.random().toString(36).slice(2, 12)}`, outputCount = 1) {
  return as(session).rows.insertPrediction(predictionRow(session, id, outputCount));
}

/** Output `index` of a prediction, stored where the app stores it (the first output keeps the bare name). */
function imageOf(session: Session, predictionId: string, index = 0): NewImageRow {
  return {
    user_id: session.user.id, prediction_id: predictionId, output_index: index, prompt: String(input.prompt), input,
    model: MODEL.model, model_name: MODEL.model_name, seed: 1234 + index,
    storage_path: `${session.user.id}/${predictionId}${index === 0 ? "" : `-${index}`}.png`, content_type: "image/png", bytes: png.byteLength,
    width: 1024, height: 1024,
  };
}

function streamOf(bytes: Uint8Array, chunk = 1024): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, (offset += chunk)));
    },
  });
}

function expectKeys(request: { headers: Record<string, string> }, session: Session) {
  expect(request.headers.apikey).toBe(PUBLISHABLE_KEY);
  const token = /^Bearer (.+)$/.exec(request.headers.authorization)?.[1] ?? "";
  expect(decodeJwt(token)).toMatchObject({ sub: session.user.id, role: "authenticated" });
}

async function appError(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("rows over PostgREST", () => {
  it("records a prediction with only the columns `authenticated` may insert, as the person", async () => {
    const alice = await signIn("alice@example.com");
    const row = await prediction(alice, "pred_alice_1");
    expect(row).toMatchObject({
      id: "pred_alice_1", user_id: alice.user.id, status: "starting", error: null, started_at: null, completed_at: null, input,
      ...MODEL, seed: 1234, output_count: 1,
    });
    expect(row.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

    const [request] = api.requestsTo("rest");
    expect(request).toMatchObject({ method: "POST", path: "/rest/v1/predictions", query: { select: PREDICTION_COLUMNS } });
    expect(request.headers.prefer).toBe("return=representation");
    expect(request.headers.accept).toBe("application/vnd.pgrst.object+json");
    expect(request.body).toEqual({ ...predictionRow(alice, "pred_alice_1") });
    expectKeys(request, alice);
  });

  it("reserves and releases a place with the person's session, naming no user", async () => {
    const alice = await signIn("alice@example.com");
    const held = await as(alice).rows.reservePrediction({ concurrent: 2, perMinute: 10 });
    expect(held).toMatchObject({ ok: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const [request] = api.requestsTo("rest.rpc");
    expect(request).toMatchObject({ method: "POST", path: "/rest/v1/rpc/reserve_prediction", body: { p_concurrent: 2, p_per_minute: 10 } });
    expectKeys(request, alice);

    if (!held.ok) return;
    await as(alice).rows.releaseReservation({ id: held.id });
    const [release] = api.requestsTo("rest.rpc");
    expect(release).toMatchObject({ method: "POST", path: "/rest/v1/rpc/release_prediction_reservation", body: { p_id: held.id } });
    expectKeys(release, alice);
    expect(await api.rows("prediction_reservations")).toHaveLength(0);
  });

  it("never returns someone else's prediction, even by its id", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const bobs = await prediction(bob);
    const rows = as(alice).rows;
    expect(await rows.getPrediction({ id: bobs.id, userId: alice.user.id })).toBeNull();
    // Even asking with Bob's id, Alice's JWT sees nothing (row-level security).
    expect(await rows.getPrediction({ id: bobs.id, userId: bob.user.id })).toBeNull();
    expect(await rows.getPredictionOwner({ id: bobs.id })).toBeNull();
    expect(api.requestsTo("rest")[0].query).toMatchObject({ id: `eq.${bobs.id}`, user_id: `eq.${alice.user.id}` });
    expect(await as(bob).rows.getPrediction({ id: bobs.id, userId: bob.user.id })).toMatchObject({ id: bobs.id });
  });

  it("reads a prediction with its images, by output index, for its owner only", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const mine = await prediction(alice, undefined, 2);
    expect(await as(alice).rows.getPredictionWithImages({ id: mine.id, userId: alice.user.id })).toEqual({ prediction: mine, images: [] });

    // Saved out of order (outputs download in parallel): read back in output order.
    const second = await as(alice).rows.insertImage(imageOf(alice, mine.id, 1));
    const first = await as(alice).rows.insertImage(imageOf(alice, mine.id, 0));
    expect(await as(alice).rows.getPredictionWithImages({ id: mine.id, userId: alice.user.id })).toEqual({ prediction: mine, images: [first, second] });
    const images = api.requestsTo("rest").find((request) => request.path === "/rest/v1/sdxl_images");
    expect(images?.query).toMatchObject({ prediction_id: `eq.${mine.id}`, user_id: `eq.${alice.user.id}`, order: "output_index.asc" });
    expect(await as(bob).rows.getPredictionWithImages({ id: mine.id, userId: alice.user.id })).toBeNull();
    expect(await as(bob).rows.getPredictionWithImages({ id: mine.id, userId: bob.user.id })).toBeNull();
  });

  it("updates only status, error and completed_at, and leaves another person's row alone", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const [mine, bobs] = [await prediction(alice), await prediction(bob)];
    const done = { status: "failed" as const, error: "NSFW content detected", completedAt: "2026-11-24T10:00:00.123456Z" };
    await as(alice).rows.updatePrediction({ id: mine.id, userId: alice.user.id, ...done });
    const [request] = api.requestsTo("rest");
    expect(request).toMatchObject({ method: "PATCH", query: { id: `eq.${mine.id}`, user_id: `eq.${alice.user.id}` } });
    expect(request.body).toEqual({ status: "failed", error: "NSFW content detected", completed_at: done.completedAt });
    expect(await as(alice).rows.getPrediction({ id: mine.id, userId: alice.user.id })).toMatchObject({
      status: "failed", error: "NSFW content detected", completed_at: done.completedAt,
    });

    await as(alice).rows.updatePrediction({ id: bobs.id, userId: bob.user.id, ...done });
    expect(await as(bob).rows.getPrediction({ id: bobs.id, userId: bob.user.id })).toMatchObject({ status: "starting", error: null });
  });

  it("sends the start time and the seed only when they are known", async () => {
    const alice = await signIn("alice@example.com");
    const mine = await as(alice).rows.insertPrediction({ ...predictionRow(alice, "pred_unseeded"), seed: null });
    const startedAt = "2026-11-24T09:59:30.000000Z";
    await as(alice).rows.updatePrediction({ id: mine.id, userId: alice.user.id, status: "processing", error: null, completedAt: null, startedAt, seed: 99 });
    expect(api.requestsTo("rest")[0].body).toEqual({ status: "processing", error: null, completed_at: null, started_at: startedAt, seed: 99 });
    expect(await as(alice).rows.getPrediction({ id: mine.id, userId: alice.user.id })).toMatchObject({ started_at: startedAt, seed: 99 });

    await as(alice).rows.updatePrediction({ id: mine.id, userId: alice.user.id, status: "succeeded", error: null, completedAt: null, startedAt: null, seed: null });
    expect(api.requestsTo("rest")[0].body).toEqual({ status: "succeeded", error: null, completed_at: null });
    expect(await as(alice).rows.getPrediction({ id: mine.id, userId: alice.user.id })).toMatchObject({ status: "succeeded", started_at: startedAt, seed: 99 });
  });

  it("counts recent predictions with a HEAD request and lists the running ones oldest first", async () => {
    const alice = await signIn("alice@example.com");
    const [first, second] = [await prediction(alice), await prediction(alice)];
    await as(alice).rows.updatePrediction({ id: second.id, userId: alice.user.id, status: "succeeded", error: null, completedAt: null });
    const third = await prediction(alice);
    const rows = as(alice).rows;
    expect(await rows.countPredictionsSince({ userId: alice.user.id, since: first.created_at })).toBe(3);
    expect(await rows.countPredictionsSince({ userId: alice.user.id, since: third.created_at })).toBe(1);
    const [count] = api.requestsTo("rest");
    expect(count).toMatchObject({ method: "HEAD", query: { user_id: `eq.${alice.user.id}`, created_at: `gte.${first.created_at}` } });
    expect(count.headers.prefer).toBe("count=exact");

    const running = await rows.listRunningPredictions({ userId: alice.user.id, since: first.created_at });
    expect(running.map((row) => row.id)).toEqual([first.id, third.id]);
    expect(api.requestsTo("rest").at(-1)?.query).toMatchObject({ status: "in.(starting,processing)", order: "created_at.asc" });
  });

  it("saves each output once: a second save of the same output returns the first row", async () => {
    const alice = await signIn("alice@example.com");
    const { id } = await prediction(alice, undefined, 2);
    const first = await as(alice).rows.insertImage(imageOf(alice, id));
    const [request] = api.requestsTo("rest");
    expect(request).toMatchObject({ method: "POST", path: "/rest/v1/sdxl_images", query: { on_conflict: "prediction_id,output_index", select: IMAGE_COLUMNS } });
    expect(request.headers.prefer).toBe("resolution=ignore-duplicates, return=representation");
    expect(Object.keys(request.body as object).sort()).toEqual(
      [
        "bytes", "content_type", "height", "input", "model", "model_name", "output_index", "prediction_id", "prompt", "seed", "storage_path",
        "user_id", "width",
      ],
    );
    expectKeys(request, alice);
    expect(first).toMatchObject({ output_index: 0, model_name: MODEL.model_name, seed: 1234 });

    const again = await as(alice).rows.insertImage(imageOf(alice, id));
    expect(again).toEqual(first);
    const second = await as(alice).rows.insertImage(imageOf(alice, id, 1));
    expect(second).toMatchObject({ output_index: 1, storage_path: `${alice.user.id}/${id}-1.png`, seed: 1235 });
    expect(second.id).not.toBe(first.id);
    expect(await as(alice).rows.insertImage({ ...imageOf(alice, id, 1), bytes: 1 })).toEqual(second);

    expect((await api.rows<StoredImage>("sdxl_images")).map((row) => row.output_index)).toEqual([0, 1]);
    expect(await as(alice).rows.getImageByOutput({ predictionId: id, outputIndex: 0, userId: alice.user.id })).toEqual(first);
    expect(await as(alice).rows.getImageByOutput({ predictionId: id, outputIndex: 1, userId: alice.user.id })).toEqual(second);
    expect(await as(alice).rows.getImageByOutput({ predictionId: id, outputIndex: 2, userId: alice.user.id })).toBeNull();
  });

  it("refuses to save an image of someone else's prediction, saying only 'not found'", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const bobs = await prediction(bob);
    const error = await appError(as(alice).rows.insertImage({ ...imageOf(alice, bobs.id) }));
    expect(error.code).toBe("not_found");
    expect((await appError(as(alice).rows.insertImage(imageOf(bob, bobs.id)))).code).toBe("not_found");
    expect(await api.rows("sdxl_images")).toHaveLength(0);

    // Nor a further output of a prediction that already has its first.
    await as(bob).rows.insertImage(imageOf(bob, bobs.id));
    expect((await appError(as(alice).rows.insertImage(imageOf(alice, bobs.id, 1)))).code).toBe("not_found");
    expect((await appError(as(alice).rows.insertImage(imageOf(bob, bobs.id, 1)))).code).toBe("not_found");
    expect((await api.rows<StoredImage>("sdxl_images")).map((row) => [row.user_id, row.output_index])).toEqual([[bob.user.id, 0]]);
  });

  it("pages images newest first with a (created_at, id) cursor, ties included, and only the person's", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const ids = ["0a", "1b", "2c", "3d", "4e"].map((suffix) => `00000000-0000-4000-8000-0000000000${suffix}`);
    const times = ["2026-11-24T10:00:00.000001Z", "2026-11-24T10:00:00.000002Z", "2026-11-24T10:00:00.000002Z", "2026-11-24T10:00:00.000002Z", "2026-11-24T10:00:01.5Z"];
    // Rows with chosen ids and times, written as the database's superuser; their predictions must exist (the foreign keys).
    const seed = async (session: Session, predictionId: string, id: string, createdAt: string) => {
      await prediction(session, predictionId);
      await api.sql("insert into public.sdxl_images select * from json_populate_record(null::public.sdxl_images, $1::json)", [
        JSON.stringify({ ...imageOf(session, predictionId), id, created_at: createdAt }),
      ]);
    };
    for (const [i, id] of ids.entries()) await seed(alice, `pred${i}`, id, times[i]);
    await seed(bob, "predb", "00000000-0000-4000-8000-0000000000ff", "2026-11-24T10:00:00.000002Z");

    const seen: string[] = [];
    let cursor: { created_at: string; id: string } | undefined;
    for (let page = 0; page < 4; page++) {
      const rows = await as(alice).rows.listImages({ userId: alice.user.id, limit: 2, cursor });
      seen.push(...rows.map((row) => row.id));
      if (rows.length < 2) break;
      cursor = rows.at(-1);
    }
    expect(seen).toEqual([ids[4], ids[3], ids[2], ids[1], ids[0]]);
    const last = api.requestsTo("rest").at(-1)!;
    expect(last.query).toMatchObject({ user_id: `eq.${alice.user.id}`, order: "created_at.desc,id.desc", limit: "2" });
    expect(last.query.or).toBe(`(created_at.lt."2026-11-24T10:00:00.000002Z",and(created_at.eq."2026-11-24T10:00:00.000002Z",id.lt.${ids[1]}))`);
  });

  it("rejects a malformed cursor and ids without asking PostgREST", async () => {
    const alice = await signIn("alice@example.com");
    const rows = as(alice).rows;
    const bad = { created_at: '2026-01-01T00:00:00Z",id.gt.0', id: "00000000-0000-4000-8000-000000000000" };
    expect((await appError(rows.listImages({ userId: alice.user.id, limit: 5, cursor: bad }))).code).toBe("bad_request");
    expect(await rows.getImage({ id: "not-a-uuid", userId: alice.user.id })).toBeNull();
    expect(await rows.deleteImage({ id: "not-a-uuid", userId: alice.user.id })).toBeNull();
    expect(api.requestsTo("rest")).toHaveLength(0);
  });

  it("deletes an image once and returns it, and never deletes another person's", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const saved = await as(alice).rows.insertImage(imageOf(alice, (await prediction(alice)).id));
    expect(await as(bob).rows.deleteImage({ id: saved.id, userId: alice.user.id })).toBeNull();
    expect(await as(alice).rows.deleteImage({ id: saved.id, userId: alice.user.id })).toEqual(saved);
    const [request] = api.requestsTo("rest");
    expect(request).toMatchObject({ method: "DELETE", query: { id: `eq.${saved.id}`, user_id: `eq.${alice.user.id}`, select: IMAGE_COLUMNS } });
    expect(request.headers.prefer).toBe("return=representation");
    expect(await as(alice).rows.deleteImage({ id: saved.id, userId: alice.user.id })).toBeNull();
  });

  it.each([
    [{ status: 409, body: { code: "23505", details: "Key (id)=(x) already exists.", hint: null, message: "duplicate key value" } }, "conflict", 409],
    [{ status: 409, body: { code: "23503", details: null, hint: null, message: "violates foreign key constraint" } }, "not_found", 404],
    [{ status: 403, body: { code: "42501", details: null, hint: null, message: "new row violates row-level security policy" } }, "not_found", 404],
    [{ status: 401, body: { code: "PGRST301", details: null, hint: null, message: "No suitable key or wrong key type" } }, "not_found", 404],
    [{ status: 400, body: { code: "22P02", details: null, hint: null, message: "invalid input syntax for type uuid" } }, "bad_request", 400],
    [{ status: 503, body: "<html>upstream connect error</html>" }, "upstream_unavailable", 503],
    ["network" as const, "upstream_unavailable", 503],
  ])("maps a PostgREST failure %j to %s", async (failure, code, status) => {
    const alice = await signIn("alice@example.com");
    api.failNext("rest", failure);
    const error = await appError(prediction(alice));
    expect({ code: error.code, status: error.status }).toEqual({ code, status });
  });
});

describe("files in Storage", () => {
  it("streams an upload into the person's folder with its content type and x-upsert, and may replace it", async () => {
    const alice = await signIn("alice@example.com");
    const path = `${alice.user.id}/pred1.png`;
    const files = as(alice).files;
    expect(await files.upload({ path, body: streamOf(png), contentType: "image/png", maxBytes: 10_000 })).toEqual({ bytes: png.byteLength });
    const [request] = api.requestsTo("storage.upload");
    expect(request).toMatchObject({ method: "POST", path: `/storage/v1/object/sdxl-images/${path}` });
    expect(request.headers).toMatchObject({ "content-type": "image/png", "x-upsert": "true", "cache-control": "max-age=3600" });
    expectKeys(request, alice);
    expect(api.objects.get(OBJECT(path))?.bytes).toEqual(png);

    const replacement = png.slice(0, 100);
    await files.upload({ path, body: streamOf(replacement), contentType: "image/png", maxBytes: 10_000 });
    expect(api.objects.get(OBJECT(path))?.bytes).toEqual(replacement);
  });

  it("refuses another person's folder and oversized or unsupported files, storing nothing", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const files = as(alice).files;
    const upload = (path: string, maxBytes = 10_000, contentType = "image/png") => files.upload({ path, body: streamOf(png), contentType, maxBytes });
    expect((await appError(upload(`${bob.user.id}/x.png`))).code).toBe("not_found");
    expect((await appError(upload(`${alice.user.id}/big.png`, 2048))).code).toBe("payload_too_large");
    expect((await appError(upload(`${alice.user.id}/x.gif`, 10_000, "image/gif"))).code).toBe("unsupported_media_type");
    expect((await appError(upload("../escape.png"))).code).toBe("bad_request");
    expect(api.objects.size).toBe(0);
  });

  it("reports an unreachable Storage as unavailable", async () => {
    const alice = await signIn("alice@example.com");
    api.failNext("storage.upload", "network");
    const error = await appError(as(alice).files.upload({ path: `${alice.user.id}/p.png`, body: streamOf(png), contentType: "image/png", maxBytes: 10_000 }));
    expect(error.code).toBe("upstream_unavailable");
  });

  it("signs a whole gallery page in one request, and the URLs serve the images", async () => {
    const alice = await signIn("alice@example.com");
    for (let i = 0; i < 3; i++) {
      const { id } = await prediction(alice);
      await as(alice).files.upload({ path: `${alice.user.id}/${id}.png`, body: streamOf(png), contentType: "image/png", maxBytes: 10_000 });
      await as(alice).rows.insertImage(imageOf(alice, id));
    }
    const { images } = await listGallery({ user: alice.user, backend: as(alice), limit: 24 });
    const signs = api.requestsTo("storage.sign");
    expect(signs).toHaveLength(1);
    expect(signs[0]).toMatchObject({ method: "POST", path: "/storage/v1/object/sign/sdxl-images" });
    // Each image with its thumbnails; these were stored without any (as before thumbnails existed), so tiles show the image.
    expect(signs[0].body).toEqual({
      expiresIn: 3600,
      paths: images.flatMap((image) => [`${alice.user.id}/${image.predictionId}.png`, ...thumbnailPaths(`${alice.user.id}/${image.predictionId}.png`)]),
    });
    expect(images).toHaveLength(3);
    expect(images.map((image) => image.thumbnails)).toEqual([[], [], []]);
    const served = await fetch(images[0].url);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(png);
  });

  it("asks for no signed URLs when the gallery is empty", async () => {
    const alice = await signIn("alice@example.com");
    expect((await listGallery({ user: alice.user, backend: as(alice) })).images).toEqual([]);
    expect(api.requestsTo("storage.sign")).toHaveLength(0);
  });

  it("deleting an image removes its row and its file", async () => {
    const alice = await signIn("alice@example.com");
    const { id } = await prediction(alice);
    const path = `${alice.user.id}/${id}.png`;
    await as(alice).files.upload({ path, body: streamOf(png), contentType: "image/png", maxBytes: 10_000 });
    const saved = await as(alice).rows.insertImage(imageOf(alice, id));
    await deleteImage({ user: alice.user, backend: as(alice), imageId: saved.id });
    expect(await api.rows("sdxl_images")).toHaveLength(0);
    expect(api.objects.has(OBJECT(path))).toBe(false);
    expect(api.requestsTo("storage.remove")[0]).toMatchObject({ method: "DELETE", path: "/storage/v1/object/sdxl-images", body: { prefixes: [path, ...thumbnailPaths(path)] } });
  });
});

describe("the service backend (webhooks, reconcile)", () => {
  it("uses the service role key and still filters every query on the owner", async () => {
    const [alice, bob] = [await signIn("alice@example.com"), await signIn("bob@example.com")];
    const bobs = await prediction(bob);
    testCookies.clear();
    api.clearRequests();
    const service = runtime.serviceBackend();
    expect(await service.rows.getPredictionOwner({ id: bobs.id })).toBe(bob.user.id);
    expect(await service.rows.getPrediction({ id: bobs.id, userId: alice.user.id })).toBeNull();
    await service.files.upload({ path: `${bob.user.id}/${bobs.id}.png`, body: streamOf(png), contentType: "image/png", maxBytes: 10_000 });
    expect(await service.rows.insertImage(imageOf(bob, bobs.id))).toMatchObject({ user_id: bob.user.id, prediction_id: bobs.id });
    for (const request of api.requests) {
      expect(request.headers).toMatchObject({ apikey: SERVICE_ROLE_KEY, authorization: `Bearer ${SERVICE_ROLE_KEY}` });
    }
  });

  it("says which variable is missing when there is no service role key", async () => {
    const withoutKey = await createSupabaseBackend({ ...config, serviceRoleKey: undefined });
    const error = await appError(Promise.resolve().then(() => withoutKey.serviceBackend()));
    expect(error.message).toContain("SUPABASE_SERVICE_ROLE_KEY");
  });
});
