import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { DeletedOutputError } from "@/lib/predictions/deleted-outputs";
import { reconcileUnsavedImages } from "@/lib/predictions/reconcile";
import { handleReplicateWebhook, SeenWebhookIds } from "@/lib/predictions/replicate-webhook";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import type { NewImageRow } from "@/lib/predictions/ports";
import type { PredictionView } from "@/lib/predictions/types";
import { newWebhookSecret, signedWebhook } from "@/tests/fixtures/replicate-webhook";
import { backends, imageRows, objectsOfImages, type TestApp, type TestSession } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";

/**
 * Issue 11, finding 2: after the gallery's delete answered ok, the next poll
 * saved the image again, and the reconcile job restored it within minutes. A
 * deleted image now stays deleted on every path that saves (poll, server
 * action, webhook, reconcile), in the database as well as in the code.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { deleteImage } = await import("@/app/dashboard/actions");

const LIMITS = { RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" };

async function pollView(id: string): Promise<PredictionView> {
  const response = await poll(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }));
  expect(response.status).toBe(200);
  return (await response.json()) as PredictionView;
}

describe.each(backends)("on the $name backend", ({ name, start }) => {
  let app: TestApp;
  let alice: TestSession;

  beforeAll(async () => {
    app = await start(LIMITS);
    expect(app.context.env.backend.kind).toBe(name);
    alice = await app.signUp("alice-deletes@example.com");
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));

  const rowsOf = async (predictionId: string) => (await imageRows(app, alice.user.id)).filter((row) => row.prediction_id === predictionId);
  const filesOf = async (predictionId: string) => (await app.storedFiles(alice.user.id)).filter((file) => file.includes(predictionId));

  /** A finished prediction whose images the poll saved: the gallery shows them. */
  async function generated(outputs = 1) {
    const response = await POST(jsonRequest("/api/replicate", { input: { prompt: "a paper boat", num_outputs: outputs } }), params({}));
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as PredictionView;
    let view = await pollView(id);
    for (let i = 0; i < 20 && view.images.length < outputs; i++) view = await pollView(id);
    expect(view.images).toHaveLength(outputs);
    return { id, images: view.images };
  }

  /** Deletes from the gallery, as the person does: the action answers ok. */
  async function deleted(imageId: string) {
    expect(await deleteImage(imageId)).toMatchObject({ ok: true });
  }

  async function expectGone(id: string) {
    expect(await rowsOf(id)).toEqual([]);
    expect(await filesOf(id)).toEqual([]);
  }

  it("stays deleted when the page polls again", async () => {
    const { id, images } = await generated();
    await deleted(images[0].id);
    for (let i = 0; i < 3; i++) {
      const view = await pollView(id);
      expect(view).toMatchObject({ status: "succeeded", images: [], expectedImages: 0 });
    }
    await expectGone(id);
  });

  it("stays deleted when the page's server action saves again", async () => {
    const { id, images } = await generated();
    await deleted(images[0].id);
    expect(await saveGeneratedImage(id)).toEqual({ ok: true, images: [] });
    await expectGone(id);
  });

  it("saves a missing image without downloading the deleted one beside it again", async () => {
    // Output 1 fails to download at first, so only output 0 is saved; the person deletes it.
    const original = app.context.model.openOutput.bind(app.context.model);
    const downloads = vi.spyOn(app.context.model, "openOutput");
    let failSecond = true;
    downloads.mockImplementation(async (prediction, index) => {
      if (index === 1 && failSecond) throw new AppError("upstream_unavailable", "The image download was interrupted.");
      return original(prediction, index);
    });
    try {
      const response = await POST(jsonRequest("/api/replicate", { input: { prompt: "two boats", num_outputs: 2 } }), params({}));
      const { id } = (await response.json()) as PredictionView;
      let view = await pollView(id);
      for (let i = 0; i < 20 && view.images.length < 1; i++) view = await pollView(id);
      expect(view.images.map((image) => image.index)).toEqual([0]);
      await deleted(view.images[0].id);

      failSecond = false;
      downloads.mockClear();
      const saved = await saveGeneratedImage(id);
      expect(saved.ok && saved.images.map((image) => image.index)).toEqual([1]);
      expect(downloads.mock.calls.map(([, index]) => index)).toEqual([1]);
      expect((await rowsOf(id)).map((row) => row.output_index)).toEqual([1]);
    } finally {
      downloads.mockRestore();
    }
  });

  it("stays deleted when Replicate redelivers the completed webhook", async () => {
    const { id, images } = await generated();
    await deleted(images[0].id);
    const secret = newWebhookSecret();
    const body = await app.context.model.get(id);
    expect(body.status).toBe("succeeded");
    const response = await handleReplicateWebhook(signedWebhook({ body, secret }), {
      secrets: [secret],
      model: app.context.model,
      backend: app.context.serviceBackend(),
      maxBytes: app.context.env.limits.maxOutputBytes,
      seen: new SeenWebhookIds(),
    });
    expect(response.status).toBe(200);
    await expectGone(id);
  });

  it("stays deleted through the reconcile job, which no longer counts it as unsaved", async () => {
    const { id, images } = await generated();
    await deleted(images[0].id);
    const result = await reconcileUnsavedImages({ backend: app.context.serviceBackend(), model: app.context.model, maxBytes: app.context.env.limits.maxOutputBytes });
    expect(result).toMatchObject({ saved: 0, failed: 0 });
    expect(await app.context.serviceBackend().rows.listUnsavedPredictions({ since: "1970-01-01T00:00:00.000000Z", limit: 100 })).not.toContainEqual(
      expect.objectContaining({ id }),
    );
    await expectGone(id);
  });

  it("stays deleted when a save that read the prediction before the delete finishes after it: the database refuses the row, the file is removed", async () => {
    const { id, images } = await generated();
    const backend = app.context.backendFor(alice.user);
    // What a save running alongside the delete read first: the row as it was, and the model's answer.
    const before = await backend.rows.getPredictionWithImages({ id, userId: alice.user.id });
    const prediction = await app.context.model.get(id);
    await deleted(images[0].id);

    const result = await saveGeneratedImages({
      userId: alice.user.id,
      predictionId: id,
      backend,
      model: app.context.model,
      maxBytes: app.context.env.limits.maxOutputBytes,
      fresh: { row: before!.prediction, images: [], prediction },
    });
    expect(result).toEqual({ images: [], failures: [] });
    await expectGone(id);

    // The database says no by itself, to the person and to the service role alike.
    const again: NewImageRow = Object.fromEntries(Object.entries(before!.images[0]).filter(([column]) => column !== "id" && column !== "created_at")) as NewImageRow;
    for (const rows of [backend.rows, app.context.serviceBackend().rows]) {
      await expect(rows.insertImage(again)).rejects.toBeInstanceOf(DeletedOutputError);
    }
    await expectGone(id);
  });

  it("waits only for the images that were not deleted, and saves those", async () => {
    const { id, images } = await generated(2);
    await deleted(images[0].id);
    const view = await pollView(id);
    expect(view).toMatchObject({ status: "succeeded", expectedImages: 1, images: [{ index: 1 }] });
    expect((await rowsOf(id)).map((row) => row.output_index)).toEqual([1]);
    expect(await filesOf(id)).toEqual(objectsOfImages(app, `${alice.user.id}/${id}-1.png`));
  });
});
