import { decodeJwt } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { thumbnailPaths } from "@/lib/predictions/thumbnails";
import { PUBLISHABLE_KEY, SUPABASE_URL } from "@/tests/msw/supabase-handlers";
import {
  backends,
  objectsOfImages,
  countImages,
  countPredictions,
  digest,
  imageRows,
  PNG_SIGNATURE,
  type TestApp,
  type TestSession,
} from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";
import type { SupabaseApp } from "@/tests/support/supabase-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST } = await import("@/app/api/replicate/route");
const { GET } = await import("@/app/api/replicate/[id]/route");
const { GET: GET_FILE } = await import("@/app/api/files/[...path]/route");

const LIMITS = { RATE_LIMIT_CONCURRENT: "3", RATE_LIMIT_CREATES_PER_MINUTE: "50" };

async function create(input: unknown = { prompt: "a lighthouse at dawn", seed: 7 }) {
  return POST(jsonRequest("/api/replicate", { input }), params({}));
}

async function poll(id: string) {
  return GET(new Request(`http://localhost:3000/api/replicate/${encodeURIComponent(id)}`), params({ id }));
}

async function createAndPoll() {
  const { id } = await (await create()).json();
  const body = await (await poll(id)).json();
  return { id, image: body.images[0] as { id: string; index: number; url: string; width: number; height: number } };
}

describe.each(backends)("on the $name backend", ({ name, start }) => {
  let app: TestApp;
  let alice: TestSession;
  let bob: TestSession;

  beforeAll(async () => {
    app = await start(LIMITS);
    expect(app.context.env.backend.kind).toBe(name);
    alice = await app.signUp("alice@example.com");
    bob = await app.signUp("bob@example.com");
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));

  describe("POST /api/replicate", () => {
    it("answers 401 JSON to a signed-out caller and starts nothing", async () => {
      app.actAs(null);
      const response = await create();
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: "unauthorized", message: "Sign in to continue." } });
      expect(await countPredictions(app, alice.user.id)).toBe(0);
    });

    it("answers 401 to a session cookie edited to claim someone else, and starts nothing for them", async () => {
      app.actAs(app.tamperedSession(alice, { sub: bob.user.id, email: bob.user.email }));
      const response = await create();
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe("unauthorized");
      expect(await countPredictions(app, bob.user.id)).toBe(0);
      expect(await countPredictions(app, alice.user.id)).toBe(0);
    });

    it("answers 400 to a body that is not JSON", async () => {
      const response = await POST(jsonRequest("/api/replicate", "{not json"), params({}));
      expect(response.status).toBe(400);
      expect((await response.json()).error.code).toBe("bad_request");
    });

    it("answers 415 to a body that is not sent as JSON", async () => {
      const response = await POST(
        jsonRequest("/api/replicate", "prompt=hi", { headers: { "content-type": "application/x-www-form-urlencoded" } }),
        params({}),
      );
      expect(response.status).toBe(415);
    });

    it("answers 422 with field errors for invalid fields, and starts nothing", async () => {
      const before = await countPredictions(app, alice.user.id);
      const response = await create({ prompt: "", width: 4000, style: "oil" });
      expect(response.status).toBe(422);
      const body = await response.json();
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.fields).toEqual({
        prompt: ["Describe the image you want."],
        width: ["Width must be at most 1536."],
        style: ["Unknown field: style."],
      });
      expect(await countPredictions(app, alice.user.id)).toBe(before);
    });

    it("starts a prediction and records its owner: 201 with the prediction", async () => {
      const before = await countPredictions(app, alice.user.id);
      const response = await create();
      expect(response.status).toBe(201);
      const body = await response.json();
      expect(body).toMatchObject({
        status: "starting",
        model: "local-preview",
        modelName: "Local preview model",
        modelKey: "local-preview",
        input: { prompt: "a lighthouse at dawn", seed: 7 },
        seed: 7,
        expectedImages: 1,
        images: [],
      });
      const row = await app.context.backendFor(alice.user).rows.getPrediction({ id: body.id, userId: alice.user.id });
      expect(row).toMatchObject({ id: body.id, user_id: alice.user.id, status: "starting", model: "local-preview", seed: 7, output_count: 1 });
      // Exactly what was sent: the model's defaults are its own business.
      expect(row?.input).toEqual({ prompt: "a lighthouse at dawn", seed: 7 });
      expect(await countPredictions(app, alice.user.id)).toBe(before + 1);
      expect(await countPredictions(app, bob.user.id)).toBe(0);
    });

    it("records the seed the model chose when none was given, so the image can be made again", async () => {
      const body = await (await create({ prompt: "random seed please" })).json();
      expect(body.seed).toEqual(expect.any(Number));
      expect(body.input).toEqual({ prompt: "random seed please" });
      const row = await app.context.serviceBackend().rows.getPrediction({ id: body.id, userId: alice.user.id });
      expect(row?.seed).toBe(body.seed);
    });
  });

  describe("GET /api/replicate/[id]", () => {
    it("answers 401 to a signed-out caller", async () => {
      const { id } = await (await create()).json();
      app.actAs(null);
      const response = await poll(id);
      expect(response.status).toBe(401);
      expect((await response.json()).error.code).toBe("unauthorized");
    });

    it("answers 404, not 403, for another person's prediction, and saves nothing for them", async () => {
      const { id } = await (await create()).json();
      app.actAs(bob);
      const response = await poll(id);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: "not_found", message: "Prediction not found." } });
      expect(await countImages(app, bob.user.id)).toBe(0);
      expect(await app.storedFiles(bob.user.id)).toEqual([]);
      expect((await imageRows(app, alice.user.id)).some((row) => row.prediction_id === id)).toBe(false);

      app.actAs(alice);
      const [image] = (await (await poll(id)).json()).images;
      expect(image.url).toContain(`${alice.user.id}/${id}.png`);
    });

    it.each(["does-not-exist", "../../etc/passwd", "a%00b", "x".repeat(300)])("answers 404 for the id %s", async (id) => {
      const response = await poll(id);
      expect(response.status).toBe(404);
      expect((await response.json()).error.code).toBe("not_found");
    });

    it("saves the finished image on the first poll and answers with it", async () => {
      const { id } = await (await create()).json();
      const response = await poll(id);
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject({ id, status: "succeeded", progress: 1, error: null });
      expect(body.images).toEqual([
        { id: expect.any(String), index: 0, url: expect.any(String), downloadUrl: expect.any(String), width: 1024, height: 1024 },
      ]);

      const objectPath = `${alice.user.id}/${id}.png`;
      const rows = (await imageRows(app, alice.user.id)).filter((row) => row.prediction_id === id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ id: body.images[0].id, storage_path: objectPath, content_type: "image/png", width: 1024, height: 1024 });
      const stored = await app.readStoredFile(objectPath);
      expect(stored?.byteLength).toBe(rows[0].bytes);
      const prediction = await app.context.serviceBackend().rows.getPrediction({ id, userId: alice.user.id });
      expect(prediction).toMatchObject({ status: "succeeded", completed_at: expect.any(String) });

      // Polling again answers from the stored record: same image, nothing saved twice.
      const again = await poll(id);
      expect((await again.json()).images.map((image: { id: string }) => image.id)).toEqual([body.images[0].id]);
      // Never cached, and never gzipped by `next start`: a poll a second is cheaper sent as it is.
      for (const answer of [response, again]) expect(answer.headers.get("cache-control")).toBe("no-store, no-transform");
      expect((await imageRows(app, alice.user.id)).filter((row) => row.prediction_id === id)).toHaveLength(1);
    });

    it("records a failed run with the model's error, saves nothing, and keeps answering from the record", async () => {
      const { id } = await (await create({ prompt: "[fail] a ship in a storm" })).json();
      const body = await (await poll(id)).json();
      expect(body).toMatchObject({ id, status: "failed", error: expect.stringMatching(/\w/), images: [] });
      const row = await app.context.serviceBackend().rows.getPrediction({ id, userId: alice.user.id });
      expect(row).toMatchObject({ status: "failed", error: body.error, completed_at: expect.any(String) });
      expect((await imageRows(app, alice.user.id)).some((image) => image.prediction_id === id)).toBe(false);
      expect((await app.storedFiles(alice.user.id)).some((objectPath) => objectPath.includes(id))).toBe(false);
      expect(await (await poll(id)).json()).toMatchObject({ status: "failed", error: body.error, images: [] });
    });

    it("hands out an image URL that serves exactly the stored PNG", async () => {
      const { id, image } = await createAndPoll();
      const response = await app.openDisplayUrl(image.url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(digest(bytes)).toBe(digest(await app.readStoredFile(`${alice.user.id}/${id}.png`)));
    });
  });

  describe("stored files", () => {
    it("keeps one file per saved prediction under the owner's folder, however many polls race", async () => {
      const dana = await app.signUp("dana@example.com");
      app.actAs(dana);
      const { id } = await (await create()).json();
      const bodies = await Promise.all([poll(id), poll(id), poll(id)].map(async (response) => (await response).json()));
      expect(new Set(bodies.map((body) => body.images[0]?.id)).size).toBe(1);
      expect(await app.storedFiles(dana.user.id)).toEqual(objectsOfImages(app, `${dana.user.id}/${id}.png`));
      expect(await countImages(app, dana.user.id)).toBe(1);
    });
  });

  if (name === "local") describe("local backend only: /api/files serves the data folder", () => {
    it("hands out /api/files/<owner>/<prediction>.png as the image URL", async () => {
      const { id, image } = await createAndPoll();
      expect(image.url).toBe(`/api/files/${alice.user.id}/${id}.png`);
    });

    it("serves the owner's image as a PNG that cannot be sniffed into a page, and only to the owner", async () => {
      const { id, image } = await createAndPoll();
      const segments = image.url.replace("/api/files/", "").split("/");
      const get = () => GET_FILE(new Request(`http://localhost:3000${image.url}`), params({ path: segments }));
      const response = await get();
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-disposition")).toBe(`inline; filename="${id}.png"`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);

      app.actAs(bob);
      expect((await get()).status).toBe(404);
      app.actAs(null);
      expect((await get()).status).toBe(401);
    });

    it("answers 404 to paths that try to leave the storage folder", async () => {
      for (const segments of [["..", "..", "auth-secret"], [alice.user.id, "..", "..", "pglite"], ["%2e%2e", "x.png"]]) {
        const response = await GET_FILE(new Request("http://localhost:3000/api/files/x"), params({ path: segments }));
        expect(response.status).toBe(404);
      }
    });
  });

  if (name === "supabase") describe("Supabase backend only: signed Storage URLs, no file route", () => {
    const api = () => (app as SupabaseApp).api;

    it("answers the first successful poll with a URL signed for that one object, in one signing request", async () => {
      const { id } = await (await create()).json();
      api().clearRequests();
      const [image] = (await (await poll(id)).json()).images;
      const objectPath = `${alice.user.id}/${id}.png`;
      const url = new URL(image.url);
      expect(`${url.origin}${url.pathname}`).toBe(`${SUPABASE_URL}/storage/v1/object/sign/sdxl-images/${objectPath}`);
      expect(url.searchParams.get("token")).toEqual(expect.any(String));

      const signs = api().requestsTo("storage.sign");
      expect(signs).toHaveLength(1);
      // The image and its thumbnails (made at save), so the gallery finds them signed already.
      expect(signs[0].body).toEqual({ expiresIn: 3600, paths: [objectPath, ...thumbnailPaths(objectPath)] });
      // Uploaded as Alice (her JWT, so the storage policies applied), not with the service role.
      const [upload] = api().requestsTo("storage.upload");
      expect(upload).toMatchObject({ method: "POST", path: `/storage/v1/object/sdxl-images/${objectPath}` });
      expect(upload.headers.apikey).toBe(PUBLISHABLE_KEY);
      expect(decodeJwt(upload.headers.authorization.replace(/^Bearer /, ""))).toMatchObject({ sub: alice.user.id, role: "authenticated" });
    });

    it("serves the signed URL without a session, and nothing for a URL whose token was changed", async () => {
      const { id, image } = await createAndPoll();
      app.actAs(null);
      const response = await app.openDisplayUrl(image.url);
      expect(response.status).toBe(200);
      expect(digest(new Uint8Array(await response.arrayBuffer()))).toBe(digest(await app.readStoredFile(`${alice.user.id}/${id}.png`)));

      const forged = new URL(image.url);
      forged.searchParams.set("token", `${forged.searchParams.get("token")}x`);
      expect((await fetch(forged)).status).toBe(400);
    });

    it("signs nothing for another person's object", async () => {
      const { id } = await createAndPoll();
      app.actAs(bob);
      const urls = await app.context.backendFor(bob.user).files.displayUrls({ paths: [`${alice.user.id}/${id}.png`] });
      expect(urls.size).toBe(0);
    });

    it("has no file route: /api/files answers 404 even to the owner of a stored object", async () => {
      const { id } = await createAndPoll();
      expect(app.context.openFile).toBeUndefined();
      const response = await GET_FILE(
        new Request(`http://localhost:3000/api/files/${alice.user.id}/${id}.png`),
        params({ path: [alice.user.id, `${id}.png`] }),
      );
      expect(response.status).toBe(404);
    });
  });
});
