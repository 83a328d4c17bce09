import { decodeJwt } from "jose";
import { http, HttpResponse } from "msw";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { listGallery } from "@/lib/predictions/gallery";
import { thumbnailPaths } from "@/lib/predictions/thumbnails";
import { SIGNED_URL_REUSE_MS } from "@/lib/supabase/supabase-files";
import { backends, digest, imageRows, objectsOfImages, type TestApp, type TestSession } from "@/tests/support/backends";
import { passTime } from "@/tests/support/clock";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";
import type { SupabaseApp } from "@/tests/support/supabase-app";

/**
 * Images as the browser gets them: named downloads and gallery thumbnails in
 * both modes; in cloud mode thumbnails stored beside the image at save, under
 * the owner's storage policies, and signed URLs reused while they are valid.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");

async function startAndSave(prompt: string) {
  const response = await POST(jsonRequest("/api/replicate", { input: { prompt } }), params({}));
  expect(response.status).toBe(201);
  const { id } = (await response.json()) as { id: string };
  const saved = await saveGeneratedImage(id);
  if (!saved.ok) throw new Error(saved.error.message);
  return { id, image: saved.images[0] };
}

describe.each(backends)("on the $name backend", ({ name, start }) => {
  let app: TestApp;
  let alice: TestSession;

  beforeAll(async () => {
    app = await start({ RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" });
    alice = await app.signUp("alice@example.com");
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));
  afterEach(() => vi.useRealTimers());

  const gallery = async (session: TestSession) => (await listGallery({ user: session.user, backend: app.context.backendFor(session.user) })).images;

  it("downloads the image as an attachment named from its prompt, from the gallery and from the generate page", async () => {
    const { id, image } = await startAndSave("A Lighthouse at Dusk, 35mm!");
    const [tile] = (await gallery(alice)).filter((candidate) => candidate.predictionId === id);
    expect(tile.downloadUrl).toBe(image.downloadUrl);
    if (name === "supabase") {
      // Storage's download option, as supabase-js's createSignedUrl(path, ttl, { download }) writes it.
      expect(new URL(tile.downloadUrl).searchParams.get("download")).toBe("a-lighthouse-at-dusk-35mm.png");
    }

    const response = await app.openDisplayUrl(tile.downloadUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="?a-lighthouse-at-dusk-35mm\.png"?(;|$)/);
    expect(digest(new Uint8Array(await response.arrayBuffer()))).toBe(digest(await app.readStoredFile(`${alice.user.id}/${id}.png`)));
    // The view URL still shows the image in the page.
    expect((await app.openDisplayUrl(tile.url)).headers.get("content-disposition") ?? "inline").not.toMatch(/^attachment/);
  });

  it("gives gallery tiles small WebP thumbnails instead of the full image", async () => {
    const { id } = await startAndSave("a field of poppies");
    const [tile] = (await gallery(alice)).filter((candidate) => candidate.predictionId === id);
    expect(tile.thumbnails.map(({ width }) => width)).toEqual([384, 768]);
    for (const { width, url } of tile.thumbnails) {
      expect(url).not.toBe(tile.url);
      const response = await app.openDisplayUrl(url);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      const meta = await sharp(new Uint8Array(await response.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", width, width]);
    }
  });

  if (name === "supabase") describe("Supabase backend only", () => {
    const api = () => (app as SupabaseApp).api;

    it("stores the thumbnails beside the image when it is saved, as the owner", async () => {
      api().clearRequests();
      const { id } = await startAndSave("a quiet harbour");
      const imagePath = `${alice.user.id}/${id}.png`;
      expect((await app.storedFiles(alice.user.id)).filter((file) => file.includes(id))).toEqual(objectsOfImages(app, imagePath));
      const uploads = api().requestsTo("storage.upload").filter((request) => request.path.includes(id));
      expect(uploads.map((request) => request.path)).toEqual([imagePath, ...thumbnailPaths(imagePath)].map((p) => `/storage/v1/object/sdxl-images/${p}`));
      for (const upload of uploads) {
        expect(decodeJwt(upload.headers.authorization.replace(/^Bearer /, ""))).toMatchObject({ sub: alice.user.id, role: "authenticated" });
      }
      for (const thumbnail of thumbnailPaths(imagePath)) {
        expect((await sharp((await app.readStoredFile(thumbnail))!).metadata()).format).toBe("webp");
      }
    });

    it("lets nobody else sign or read the thumbnails, even once the owner's URLs are cached", async () => {
      const bob = await app.signUp("bob@example.com");
      app.actAs(alice);
      const { id } = await startAndSave("mine alone");
      const imagePath = `${alice.user.id}/${id}.png`;
      await gallery(alice);

      app.actAs(bob);
      api().clearRequests();
      const files = app.context.backendFor(bob.user).files;
      expect((await files.displayUrls({ paths: [imagePath, ...thumbnailPaths(imagePath)] })).size).toBe(0);
      expect((await files.imageUrls({ images: [{ path: imagePath, downloadName: "x.png" }] })).size).toBe(0);
      // Asked of Storage as Bob, which refused: nothing came from Alice's cached URLs.
      const signs = api().requestsTo("storage.sign");
      expect(signs.length).toBeGreaterThan(0);
      for (const sign of signs) expect(decodeJwt(sign.headers.authorization.replace(/^Bearer /, "")).sub).toBe(bob.user.id);
      const inputs = app.context.inputsFor(bob.user).files;
      for (const thumbnail of thumbnailPaths(imagePath)) expect(await inputs.read({ path: thumbnail })).toBeNull();
      expect(await gallery(bob)).toEqual([]);
    });

    it("keeps an image whose thumbnails could not be made, and its tile shows the original", async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      // As for images saved before thumbnails existed: Storage has no thumbnail for it.
      (app as SupabaseApp).server.use(
        http.post(`${api().url}/storage/v1/object/sdxl-images/*`, ({ request }) =>
          /\.w\d+\.webp$/.test(new URL(request.url).pathname) ? HttpResponse.json({ statusCode: "500", error: "internal", message: "boom" }, { status: 500 }) : undefined,
        ),
      );
      try {
        const { id, image } = await startAndSave("no thumbnails for me");
        expect(image.url).toMatch(/^https:/);
        expect((await imageRows(app, alice.user.id)).some((row) => row.prediction_id === id)).toBe(true);
        expect((await app.storedFiles(alice.user.id)).filter((file) => file.includes(id))).toEqual([`${alice.user.id}/${id}.png`]);
        expect(warn).toHaveBeenCalled();

        const [tile] = (await gallery(alice)).filter((candidate) => candidate.predictionId === id);
        expect(tile.thumbnails).toEqual([]);
        expect((await app.openDisplayUrl(tile.url)).status).toBe(200);
        // Storage's "no such object" is remembered too: the next load asks nothing.
        api().clearRequests();
        expect((await gallery(alice)).find((candidate) => candidate.predictionId === id)?.thumbnails).toEqual([]);
        expect(api().requestsTo("storage.sign")).toHaveLength(0);
      } finally {
        (app as SupabaseApp).server.resetHandlers();
        warn.mockRestore();
      }
    });

    it("hands out the same signed URLs on every gallery load while they are valid, and new ones near expiry", async () => {
      const dana = await app.signUp("dana@example.com");
      app.actAs(dana);
      await startAndSave("the same URL twice");
      await startAndSave("and another");
      const urlsOf = (images: Awaited<ReturnType<typeof gallery>>) => images.map(({ url, downloadUrl, thumbnails }) => ({ url, downloadUrl, thumbnails }));

      const first = urlsOf(await gallery(dana));
      expect(first).toHaveLength(2);
      api().clearRequests();
      const second = urlsOf(await gallery(dana));
      expect(second).toEqual(first);
      expect(api().requestsTo("storage.sign")).toHaveLength(0);

      passTime(SIGNED_URL_REUSE_MS - 60_000);
      expect(urlsOf(await gallery(dana))).toEqual(first);
      expect(api().requestsTo("storage.sign")).toHaveLength(0);

      // Past the reuse window (the signature has under ten minutes left): signed again, once for the page.
      passTime(2 * 60_000);
      const renewed = urlsOf(await gallery(dana));
      expect(api().requestsTo("storage.sign")).toHaveLength(1);
      expect(renewed).toHaveLength(first.length);
      renewed.forEach((entry, index) => {
        expect(entry.url).not.toBe(first[index].url);
        expect(entry.url.split("?")[0]).toBe(first[index].url.split("?")[0]);
      });
      expect((await app.openDisplayUrl(renewed[0].url)).status).toBe(200);
    });
  });
});
