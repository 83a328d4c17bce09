import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { encodePng } from "@/lib/models/png";
import { backends, type TestApp, type TestSession } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: START } = await import("@/app/api/inputs/route");
const { PUT: CONTENT } = await import("@/app/api/inputs/[id]/content/route");
const { POST: COMPLETE } = await import("@/app/api/inputs/[id]/complete/route");
const { POST: CREATE } = await import("@/app/api/replicate/route");
const { GET: POLL } = await import("@/app/api/replicate/[id]/route");
const { cleanUpInputs } = await import("@/lib/inputs/clean-up-inputs");
const { deleteImage } = await import("@/lib/predictions/gallery");

// Small limits, so refusals need only small files.
const MAX_BYTES = 64 * 1024;
const ENV = { MAX_INPUT_BYTES: String(MAX_BYTES), MAX_INPUT_PIXELS: String(600 * 600), RATE_LIMIT_CONCURRENT: "5", RATE_LIMIT_CREATES_PER_MINUTE: "50" };

function png(width: number, height: number, shade = 40): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set([shade, (i * 3) & 255, 255 - shade], i * 3);
  return new Uint8Array(encodePng({ width, height, pixels }));
}

type Upload = { method: string; url: string; headers: Record<string, string> };

describe.each(backends)("image inputs on the $name backend", ({ name, start }) => {
  let app: TestApp;
  let alice: TestSession;
  let bob: TestSession;

  beforeAll(async () => {
    app = await start(ENV);
    alice = await app.signUp("alice@example.com");
    bob = await app.signUp("bob@example.com");
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));

  const startUpload = (body: unknown) => START(jsonRequest("/api/inputs", body), params({}));
  const complete = (id: string) => COMPLETE(new Request(`http://localhost:3000/api/inputs/${id}/complete`, { method: "POST" }), params({ id }));

  /** Sends the bytes where the server said, as the browser does: the app's route (local) or Storage's signed URL (cloud). */
  async function send(upload: Upload, bytes: Uint8Array): Promise<Response> {
    const init = { method: upload.method, headers: upload.headers, body: bytes.slice() };
    if (upload.url.startsWith("/api/inputs/")) {
      const id = upload.url.split("/")[3];
      return CONTENT(new Request(new URL(upload.url, "http://localhost:3000"), init), params({ id }));
    }
    return fetch(upload.url, init);
  }

  async function upload(bytes: Uint8Array, contentType = "image/png") {
    const started = await startUpload({ contentType, bytes: bytes.byteLength });
    expect(started.status).toBe(201);
    const body = (await started.json()) as { id: string; ref: string; upload: Upload };
    const sent = await send(body.upload, bytes);
    return { ...body, sent, completed: await complete(body.id) };
  }

  /** Every input row and stored input file of a person, read past every policy. */
  async function leftovers(userId: string) {
    const rows = (await app.context.serviceInputs().rows.listStaleInputs({ before: "2999-01-01T00:00:00Z", limit: 100 })).filter((row) => row.user_id === userId);
    const files = (await app.storedFiles(userId)).filter((file) => file.startsWith(`${userId}/inputs/`));
    return { rows: rows.map((row) => `${row.id}:${row.status}`), files };
  }

  it("chooses the path itself, takes the upload and says the image's size", async () => {
    const bytes = png(320, 200);
    const { id, ref, upload: target, sent, completed } = await upload(bytes);
    expect(ref).toBe(`input:${id}`);
    if (name === "local") expect(target).toEqual({ method: "PUT", url: `/api/inputs/${id}/content`, headers: { "content-type": "image/png" } });
    // Cloud: straight to Storage with a signed upload URL for this one path; the app's body never carries the bytes.
    else expect(target.url).toMatch(new RegExp(`/storage/v1/object/upload/sign/sdxl-images/${alice.user.id}/inputs/${id}\\.png\\?token=`));
    expect(sent.status).toBe(200);
    expect(completed.status).toBe(200);
    expect(await completed.json()).toMatchObject({ ref, id, contentType: "image/png", bytes: bytes.byteLength, width: 320, height: 200 });
    expect(await app.readStoredFile(`${alice.user.id}/inputs/${id}.png`)).toEqual(bytes);
  });

  it("refuses a file too large by its declared size before anything is stored", async () => {
    const before = await leftovers(alice.user.id);
    const response = await startUpload({ contentType: "image/png", bytes: 30 * 1024 * 1024 });
    expect(response.status).toBe(413);
    expect((await response.json()).error.message).toBe("This file is 30 MB: larger than the 0.1 MB an input image may be.");
    expect(await leftovers(alice.user.id)).toEqual(before);
  });

  it("refuses a file that is larger than it said, and leaves nothing behind", async () => {
    const before = await leftovers(alice.user.id);
    const big = png(500, 500, 7);
    expect(big.byteLength).toBeGreaterThan(MAX_BYTES);
    const started = (await (await startUpload({ contentType: "image/png", bytes: 1000 })).json()) as { id: string; upload: Upload };
    const sent = await send(started.upload, big);
    const completed = await complete(started.id);
    if (name === "local") {
      expect(sent.status).toBe(413);
      expect(completed.status).toBe(404);
    } else {
      expect(completed.status).toBe(413);
      expect((await completed.json()).error.message).toMatch(/larger than the 0\.1 MB an input image may be/);
    }
    expect(await leftovers(alice.user.id)).toEqual(before);
  });

  it("refuses a text file named .png by its bytes, with a clear message, and leaves nothing behind", async () => {
    const before = await leftovers(alice.user.id);
    const text = new TextEncoder().encode("These are my notes, not a picture at all. ".repeat(20));
    const { sent, completed } = await upload(text);
    const refusal = name === "local" ? sent : completed;
    expect(refusal.status).toBe(415);
    expect((await refusal.json()).error.message).toBe(
      "This file is not a PNG, JPEG or WebP image, whatever its name says. Choose a picture in one of those formats.",
    );
    expect(await leftovers(alice.user.id)).toEqual(before);
  });

  it("refuses a declared type that is not an image", async () => {
    const response = await startUpload({ contentType: "text/plain", bytes: 100 });
    expect(response.status).toBe(415);
    expect((await response.json()).error.message).toBe("Choose a PNG, JPEG or WebP image.");
  });

  it("refuses an image with too many pixels, and leaves nothing behind", async () => {
    const before = await leftovers(alice.user.id);
    // Two flat colours compress to a few kilobytes: small file, large bitmap.
    const wide = encodePng({ width: 1200, height: 400, pixels: new Uint8Array(1200 * 400 * 3).fill(90) });
    const { completed } = await upload(new Uint8Array(wide));
    expect(completed.status).toBe(422);
    expect((await completed.json()).error.message).toBe(
      "This image is 1200 × 400 pixels: input images may have at most 0.4 megapixels. Scale it down and try again.",
    );
    expect(await leftovers(alice.user.id)).toEqual(before);
  });

  it("lets a second person neither upload to, complete, read nor use the first person's input", async () => {
    const { id, ref } = await upload(png(64, 64));
    const started = (await (await startUpload({ contentType: "image/png", bytes: 2000 })).json()) as { id: string; upload: Upload };

    app.actAs(bob);
    expect((await complete(id)).status).toBe(404);
    if (name === "local") {
      const response = await send(started.upload, png(10, 10));
      expect(response.status).toBe(404);
    }
    const created = await CREATE(jsonRequest("/api/replicate", { input: { prompt: "a borrowed picture", image: ref } }), params({}));
    expect(created.status).toBe(422);
    expect((await created.json()).error.fields).toEqual({ image: ["This image is not available any more. Choose it again."] });
    const copied = await startUpload({ fromImage: id });
    expect(copied.status).toBe(404);
    expect(await app.storedFiles(bob.user.id)).toEqual([]);
  });

  it("refuses a URL in place of an input reference", async () => {
    const created = await CREATE(
      jsonRequest("/api/replicate", { input: { prompt: "from a URL", image: "https://example.com/cat.png" } }),
      params({}),
    );
    expect(created.status).toBe(422);
    expect((await created.json()).error.fields).toEqual({ image: ["Image must be an image you uploaded."] });
  });

  it("generates from an uploaded image and mask, storing the references, not a URL", async () => {
    const image = await upload(png(256, 256, 200));
    const mask = await upload(png(256, 256, 255));
    const input = { prompt: "a lighthouse, repainted", image: image.ref, mask: mask.ref, width: 256, height: 256, seed: 3 };
    const created = await CREATE(jsonRequest("/api/replicate", { input }), params({}));
    expect(created.status).toBe(201);
    const view = await created.json();
    expect(view.input).toMatchObject({ image: image.ref, mask: mask.ref });
    const row = await app.context.serviceBackend().rows.getPrediction({ id: view.id, userId: alice.user.id });
    expect(row?.input).toMatchObject({ image: image.ref, mask: mask.ref });

    const polled = await (await POLL(new Request(`http://localhost:3000/api/replicate/${view.id}`), params({ id: view.id }))).json();
    expect(polled.status).toBe("succeeded");
    expect(polled.images).toHaveLength(1);
    // The image it was made from stays in use while the image exists.
    const used = await app.context.serviceInputs().rows.inputsWithImages({ ids: [image.id, mask.id] });
    expect([...used].sort()).toEqual([image.id, mask.id].sort());
  });

  it("copies one of the person's gallery images as an input", async () => {
    const created = await (await CREATE(jsonRequest("/api/replicate", { input: { prompt: "a source", width: 256, height: 256 } }), params({}))).json();
    const polled = await (await POLL(new Request(`http://localhost:3000/api/replicate/${created.id}`), params({ id: created.id }))).json();
    const imageId = polled.images[0].id as string;
    const response = await startUpload({ fromImage: imageId });
    expect(response.status).toBe(201);
    const view = await response.json();
    expect(view).toMatchObject({ contentType: "image/png", width: 256, height: 256 });
    expect(view.ref).toBe(`input:${view.id}`);
    expect(await app.storedFiles(alice.user.id)).toContain(`${alice.user.id}/inputs/${view.id}.png`);
  });

  it("cleans up, a day on, inputs no image uses, and keeps those an image still uses", async () => {
    const carol = await app.signUp("carol@example.com");
    app.actAs(carol);
    const unused = await upload(png(64, 64, 10));
    const kept = await upload(png(64, 64, 20));
    const orphaned = await upload(png(64, 64, 30));
    const generate = async (ref: string) => {
      const created = await (await CREATE(jsonRequest("/api/replicate", { input: { prompt: "from an input", image: ref, width: 256, height: 256 } }), params({}))).json();
      const polled = await (await POLL(new Request(`http://localhost:3000/api/replicate/${created.id}`), params({ id: created.id }))).json();
      return polled.images[0].id as string;
    };
    await generate(kept.ref);
    // The same input used twice: deleting one image must not take it from the other.
    await generate(kept.ref).then((imageId) => deleteImage({ user: carol.user, backend: app.context.backendFor(carol.user), imageId }));
    await deleteImage({ user: carol.user, backend: app.context.backendFor(carol.user), imageId: await generate(orphaned.ref) });
    const inputFiles = async () => (await app.storedFiles(carol.user.id)).filter((file) => file.includes("/inputs/")).sort();
    const pathOf = (id: string) => `${carol.user.id}/inputs/${id}.png`;

    // Within the day, nothing goes.
    await cleanUpInputs({ inputs: app.context.serviceInputs() });
    expect(await inputFiles()).toEqual([pathOf(unused.id), pathOf(kept.id), pathOf(orphaned.id)].sort());

    const result = await cleanUpInputs({ inputs: app.context.serviceInputs(), now: Date.now() + 25 * 3600_000 });
    expect(result.removed).toBeGreaterThanOrEqual(2);
    expect(await inputFiles()).toEqual([pathOf(kept.id)]);
    const rows = await app.context.inputsFor(carol.user).rows.getInputs({ ids: [unused.id, kept.id, orphaned.id], userId: carol.user.id });
    expect(rows.map((row) => row.id)).toEqual([kept.id]);
  });
});
