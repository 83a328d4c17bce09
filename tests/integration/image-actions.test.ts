import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeCursor, listGallery } from "@/lib/predictions/gallery";
import {
  backends,
  countImages,
  digest,
  imageRows,
  objectsOfImages,
  PNG_SIGNATURE,
  type TestApp,
  type TestSession,
} from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";
import type { SupabaseApp } from "@/tests/support/supabase-app";
import { decodeJwt } from "jose";
import { thumbnailPaths } from "@/lib/predictions/thumbnails";
import { SIGNED_URL_REUSE_MS } from "@/lib/supabase/supabase-files";
import { passTime } from "@/tests/support/clock";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
// revalidatePath needs Next's request store; the gallery's freshness is the e2e tests' business.
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { deleteImage } = await import("@/app/dashboard/actions");

const LIMITS = { RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" };

async function startPrediction(prompt = "a paper boat", extra: Record<string, unknown> = {}) {
  const response = await POST(jsonRequest("/api/replicate", { input: { prompt, ...extra } }), params({}));
  expect(response.status).toBe(201);
  return (await response.json()).id as string;
}

/** Starts a one-image prediction and saves it: its only image. */
async function startAndSave(prompt?: string) {
  const id = await startPrediction(prompt);
  const saved = await saveGeneratedImage(id);
  if (!saved.ok) throw new Error(saved.error.message);
  expect(saved.images).toHaveLength(1);
  return { id, image: saved.images[0] };
}

function withoutUrlQuery<T extends { url: string }>(image: T): T {
  return { ...image, url: image.url.split("?")[0] };
}

/** This prediction's stored objects, temporary files of an unfinished upload included. */
async function filesOf(app: TestApp, userId: string, predictionId: string) {
  return (await app.storedFiles(userId)).filter((objectPath) => objectPath.split("/")[1].includes(predictionId));
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

  const rowsOf = async (userId: string, predictionId: string) =>
    (await imageRows(app, userId)).filter((row) => row.prediction_id === predictionId);

  describe("saveGeneratedImage", () => {
    it("returns the same image when called twice, with one row and one file", async () => {
      const id = await startPrediction();
      const first = await saveGeneratedImage(id);
      const second = await saveGeneratedImage(id);
      expect(first.ok && second.ok).toBe(true);
      if (!first.ok || !second.ok) return;
      expect(first.images).toHaveLength(1);
      expect(first.images[0]).toMatchObject({ index: 0, width: 1024, height: 1024 });
      // Signed URLs are minted per answer (their token differs from one second to the next); the object they name does not.
      expect(second.images.map(withoutUrlQuery)).toEqual(first.images.map(withoutUrlQuery));
      const rows = await rowsOf(alice.user.id, id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        id: first.images[0].id,
        output_index: 0,
        storage_path: `${alice.user.id}/${id}.png`,
        prompt: "a paper boat",
        model: "local-preview",
        model_name: "Local preview model",
      });
      expect(await filesOf(app, alice.user.id, id)).toEqual(objectsOfImages(app, `${alice.user.id}/${id}.png`));
      const stored = await app.readStoredFile(`${alice.user.id}/${id}.png`);
      expect(stored?.byteLength).toBe(rows[0].bytes);
      expect([...(stored ?? []).slice(0, 8)]).toEqual(PNG_SIGNATURE);
    });

    it("returns the same image when called twice at once, with one row and one file", async () => {
      const id = await startPrediction();
      const results = await Promise.all([saveGeneratedImage(id), saveGeneratedImage(id), saveGeneratedImage(id)]);
      const ids = results.map((result) => (result.ok ? result.images.map((image) => image.id).join() : result.error.code));
      expect(new Set(ids).size).toBe(1);
      expect(results[0].ok && results[0].images).toHaveLength(1);
      expect(await rowsOf(alice.user.id, id)).toHaveLength(1);
      expect(await filesOf(app, alice.user.id, id)).toEqual(objectsOfImages(app, `${alice.user.id}/${id}.png`));
    });

    it("saves every image of a prediction that made several: one row and one file per output, once", async () => {
      const id = await startPrediction("a fleet of boats", { num_outputs: 3, seed: 7 });
      const results = await Promise.all([saveGeneratedImage(id), saveGeneratedImage(id)]);
      const again = await saveGeneratedImage(id);
      for (const result of [...results, again]) expect(result.ok).toBe(true);
      if (!results[0].ok || !again.ok) return;
      const saved = results[0].images;
      expect(saved.map((image) => image.index)).toEqual([0, 1, 2]);
      expect(again.images.map(withoutUrlQuery)).toEqual(saved.map(withoutUrlQuery));

      const paths = [`${alice.user.id}/${id}.png`, `${alice.user.id}/${id}-1.png`, `${alice.user.id}/${id}-2.png`];
      const rows = (await rowsOf(alice.user.id, id)).sort((a, b) => a.output_index - b.output_index);
      expect(rows.map((row) => [row.id, row.output_index, row.storage_path, row.seed])).toEqual(
        saved.map((image, index) => [image.id, index, paths[index], 7]),
      );
      expect(await filesOf(app, alice.user.id, id)).toEqual(objectsOfImages(app, ...paths));
      // Each output is its own picture (the local model renders seed + index), not one file three times.
      const digests = await Promise.all(paths.map(async (objectPath) => digest(await app.readStoredFile(objectPath))));
      expect(new Set(digests).size).toBe(3);
      rows.forEach((row, index) => expect(digests[index]).toContain(`${row.bytes} bytes`));
    });

    it("refuses someone else's prediction as not found, saving nothing", async () => {
      const id = await startPrediction();
      app.actAs(bob);
      expect(await saveGeneratedImage(id)).toEqual({ ok: false, error: { code: "not_found", message: "Prediction not found." } });
      expect(await imageRows(app, bob.user.id)).toEqual([]);
      expect(await app.storedFiles(bob.user.id)).toEqual([]);
      expect(await rowsOf(alice.user.id, id)).toEqual([]);
      expect(await filesOf(app, alice.user.id, id)).toEqual([]);
    });

    it("refuses a signed-out caller, saving nothing", async () => {
      const id = await startPrediction();
      app.actAs(null);
      expect(await saveGeneratedImage(id)).toMatchObject({ ok: false, error: { code: "unauthorized" } });
      expect(await rowsOf(alice.user.id, id)).toEqual([]);
      expect(await filesOf(app, alice.user.id, id)).toEqual([]);
    });

    it("answers not found for ids that are not prediction ids", async () => {
      for (const id of ["", "../x", "a/b", "x".repeat(100)]) {
        expect(await saveGeneratedImage(id)).toMatchObject({ ok: false, error: { code: "not_found" } });
      }
    });
  });

  describe("the gallery", () => {
    it("lists only the person's images, newest first, a page at a time, each with a URL that serves it", async () => {
      const carol = await app.signUp("carol@example.com");
      app.actAs(carol);
      const made = [];
      for (const prompt of ["first", "second", "third"]) made.push(await startAndSave(prompt));
      app.actAs(bob);
      await startAndSave("bob's own");

      app.actAs(carol);
      const backend = app.context.backendFor(carol.user);
      const firstPage = await listGallery({ user: carol.user, backend, limit: 2 });
      expect(firstPage.images.map((image) => image.prompt)).toEqual(["third", "second"]);
      expect(firstPage.nextCursor).toEqual(expect.any(String));
      const secondPage = await listGallery({ user: carol.user, backend, limit: 2, cursor: decodeCursor(firstPage.nextCursor!) });
      expect(secondPage).toMatchObject({ images: [{ prompt: "first" }], nextCursor: null });

      const [newest] = firstPage.images;
      expect(newest).toMatchObject({
        id: made[2].image.id,
        predictionId: made[2].id,
        width: 1024,
        height: 1024,
        model: "local-preview",
        modelName: "Local preview model",
      });
      const response = await app.openDisplayUrl(newest.url);
      expect(response.status).toBe(200);
      expect(digest(new Uint8Array(await response.arrayBuffer()))).toBe(digest(await app.readStoredFile(`${carol.user.id}/${made[2].id}.png`)));

      app.actAs(bob);
      const bobs = await listGallery({ user: bob.user, backend: app.context.backendFor(bob.user) });
      expect(bobs.images.map((image) => image.prompt)).toEqual(["bob's own"]);
    });

    it("shows an empty gallery to someone who has made nothing", async () => {
      const erin = await app.signUp("erin@example.com");
      app.actAs(erin);
      expect(await listGallery({ user: erin.user, backend: app.context.backendFor(erin.user) })).toEqual({ images: [], nextCursor: null });
    });
  });

  describe("deleteImage", () => {
    it("removes the owner's row and file, and the image leaves the gallery", async () => {
      const { id, image } = await startAndSave("to be deleted");
      const before = await countImages(app, alice.user.id);
      expect(await deleteImage(image.id)).toEqual({ ok: true });
      expect(await countImages(app, alice.user.id)).toBe(before - 1);
      expect((await imageRows(app, alice.user.id)).some((row) => row.id === image.id)).toBe(false);
      expect(await filesOf(app, alice.user.id, id)).toEqual([]);
      const gallery = await listGallery({ user: alice.user, backend: app.context.backendFor(alice.user), limit: 100 });
      expect(gallery.images.some((shown) => shown.id === image.id)).toBe(false);
      // Deleting again finds nothing.
      expect(await deleteImage(image.id)).toMatchObject({ ok: false, error: { code: "not_found" } });
    });

    it("cannot delete someone else's image: not found, and the image stays", async () => {
      const { id, image } = await startAndSave("keep me");
      app.actAs(bob);
      expect(await deleteImage(image.id)).toMatchObject({ ok: false, error: { code: "not_found" } });
      expect(await deleteImage("not-a-uuid")).toMatchObject({ ok: false, error: { code: "not_found" } });
      expect((await imageRows(app, alice.user.id)).some((row) => row.id === image.id)).toBe(true);
      expect(await filesOf(app, alice.user.id, id)).toEqual(objectsOfImages(app, `${alice.user.id}/${id}.png`));
    });

    it("refuses a signed-out caller, and the image stays", async () => {
      const { id, image } = await startAndSave("still here");
      app.actAs(null);
      expect(await deleteImage(image.id)).toMatchObject({ ok: false, error: { code: "unauthorized" } });
      expect((await imageRows(app, alice.user.id)).some((row) => row.id === image.id)).toBe(true);
      expect(await filesOf(app, alice.user.id, id)).toEqual(objectsOfImages(app, `${alice.user.id}/${id}.png`));
    });
  });

  if (name === "supabase") describe("Supabase backend only: what the browser is given", () => {
    const api = () => (app as SupabaseApp).api;

    it("signs a whole gallery page in one createSignedUrls request, as the person", async () => {
      const frank = await app.signUp("frank@example.com");
      app.actAs(frank);
      const made = [await startAndSave("one"), await startAndSave("two"), await startAndSave("three")];
      // The save signed these already (it answers with the URLs); let those come due for renewal.
      passTime(SIGNED_URL_REUSE_MS);
      try {
        api().clearRequests();
        const { images } = await listGallery({ user: frank.user, backend: app.context.backendFor(frank.user) });
        expect(images).toHaveLength(3);

        const signs = api().requestsTo("storage.sign");
        expect(signs).toHaveLength(1);
        expect(signs[0]).toMatchObject({ method: "POST", path: "/storage/v1/object/sign/sdxl-images" });
        expect(decodeJwt(signs[0].headers.authorization.replace(/^Bearer /, ""))).toMatchObject({ sub: frank.user.id, role: "authenticated" });
        // Newest first, each image with its thumbnails.
        const paths = [...made].reverse().flatMap(({ id }) => [`${frank.user.id}/${id}.png`, ...thumbnailPaths(`${frank.user.id}/${id}.png`)]);
        expect(signs[0].body).toEqual({ expiresIn: 3600, paths });
        for (const image of images) {
          expect(image.url.split("?token=")[0]).toBe(`${api().url}/storage/v1/object/sign/sdxl-images/${frank.user.id}/${image.predictionId}.png`);
        }
      } finally {
        vi.useRealTimers();
      }
    });

    it("asks Storage for nothing when the gallery is empty", async () => {
      const gina = await app.signUp("gina@example.com");
      app.actAs(gina);
      api().clearRequests();
      expect((await listGallery({ user: gina.user, backend: app.context.backendFor(gina.user) })).images).toEqual([]);
      expect(api().requestsTo("storage.sign")).toHaveLength(0);
    });

    it("deletes the row as the person, then the object, and a signed URL handed out before stops serving it", async () => {
      const { id, image } = await startAndSave("short-lived");
      api().clearRequests();
      expect(await deleteImage(image.id)).toEqual({ ok: true });
      const [remove] = api().requestsTo("storage.remove");
      // Its thumbnails go in the same request.
      expect(remove.body).toEqual({ prefixes: objectsOfImages(app, `${alice.user.id}/${id}.png`) });
      expect(await filesOf(app, alice.user.id, id)).toEqual([]);
      expect((await app.openDisplayUrl(image.url)).status).toBe(400);
    });
  });
});
