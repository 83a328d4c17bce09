import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Backend } from "@/lib/predictions/ports";
import { backends, imageRows, type TestApp, type TestSession } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { deleteImage } = await import("@/app/dashboard/actions");

/**
 * Two layers keep one person's rows from another: every row-store query filters
 * on the user id it is given, and the migrations' row-level security filters on
 * the session's identity. Each must hold on its own (a mutation audit removed
 * one at a time and no test noticed), so each case below defeats one layer and
 * expects the other to stop the read:
 * - "own session, someone else's id": the store runs as Alice, so row security
 *   lets her rows through; only the user-id filter can refuse.
 * - "someone else's row, their id": the filter matches Bob's id, so only row
 *   security (Alice's session) can refuse.
 */

const LIMITS = { RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" };

describe.each(backends)("on the $name backend", ({ start }) => {
  let app: TestApp;
  let alice: TestSession;
  let bob: TestSession;
  let aliceImage: { predictionId: string; imageId: string };
  let bobImage: { predictionId: string; imageId: string };

  /** Creates and saves one image as `session`. */
  async function madeBy(session: TestSession) {
    app.actAs(session);
    const response = await POST(jsonRequest("/api/replicate", { input: { prompt: `owned by ${session.user.email}` } }), params({}));
    expect(response.status).toBe(201);
    const predictionId = (await response.json()).id as string;
    const saved = await saveGeneratedImage(predictionId);
    if (!saved.ok) throw new Error(saved.error.message);
    return { predictionId, imageId: saved.images[0].id };
  }

  /** Alice's row store: her session, so her row security. */
  function aliceRows(): Backend["rows"] {
    app.actAs(alice);
    return app.context.backendFor(alice.user).rows;
  }

  beforeAll(async () => {
    app = await start(LIMITS);
    alice = await app.signUp("alice@example.com");
    bob = await app.signUp("bob@example.com");
    aliceImage = await madeBy(alice);
    bobImage = await madeBy(bob);
  });
  afterAll(() => app.stop());
  beforeEach(() => app.actAs(alice));

  describe("the user-id filter alone (own session, someone else's id)", () => {
    it("getPrediction and getPredictionWithImages find nothing", async () => {
      const rows = aliceRows();
      expect(await rows.getPrediction({ id: aliceImage.predictionId, userId: bob.user.id })).toBeNull();
      expect(await rows.getPredictionWithImages({ id: aliceImage.predictionId, userId: bob.user.id })).toBeNull();
    });

    it("getImage and getImageByOutput find nothing", async () => {
      const rows = aliceRows();
      expect(await rows.getImage({ id: aliceImage.imageId, userId: bob.user.id })).toBeNull();
      expect(await rows.getImageByOutput({ predictionId: aliceImage.predictionId, outputIndex: 0, userId: bob.user.id })).toBeNull();
    });

    it("deleteImage deletes nothing", async () => {
      expect(await aliceRows().deleteImage({ id: aliceImage.imageId, userId: bob.user.id })).toBeNull();
      expect((await imageRows(app, alice.user.id)).map((row) => row.id)).toContain(aliceImage.imageId);
    });

    it("listImages and the limit counts see none of the session's rows", async () => {
      const rows = aliceRows();
      expect(await rows.listImages({ userId: bob.user.id, limit: 10 })).toEqual([]);
      expect(await rows.countPredictionsSince({ userId: bob.user.id, since: "1970-01-01T00:00:00Z" })).toBe(0);
    });
  });

  describe("row-level security alone (someone else's row, their id)", () => {
    it("getPrediction and getPredictionWithImages find nothing", async () => {
      const rows = aliceRows();
      expect(await rows.getPrediction({ id: bobImage.predictionId, userId: bob.user.id })).toBeNull();
      expect(await rows.getPredictionWithImages({ id: bobImage.predictionId, userId: bob.user.id })).toBeNull();
    });

    it("getImage and getImageByOutput find nothing", async () => {
      const rows = aliceRows();
      expect(await rows.getImage({ id: bobImage.imageId, userId: bob.user.id })).toBeNull();
      expect(await rows.getImageByOutput({ predictionId: bobImage.predictionId, outputIndex: 0, userId: bob.user.id })).toBeNull();
    });

    it("deleteImage deletes nothing", async () => {
      expect(await aliceRows().deleteImage({ id: bobImage.imageId, userId: bob.user.id })).toBeNull();
      expect((await imageRows(app, bob.user.id)).map((row) => row.id)).toContain(bobImage.imageId);
    });

    it("listImages and the limit counts see none of the other person's rows", async () => {
      const rows = aliceRows();
      expect(await rows.listImages({ userId: bob.user.id, limit: 10 })).toEqual([]);
      expect(await rows.countPredictionsSince({ userId: bob.user.id, since: "1970-01-01T00:00:00Z" })).toBe(0);
    });
  });

  describe("through the app", () => {
    it("the poll answers 404 for someone else's prediction and the delete action refuses their image", async () => {
      const { GET } = await import("@/app/api/replicate/[id]/route");
      app.actAs(alice);
      const poll = await GET(new Request(`http://localhost/api/replicate/${bobImage.predictionId}`), params({ id: bobImage.predictionId }));
      expect(poll.status).toBe(404);
      const deleted = await deleteImage(bobImage.imageId);
      expect(deleted).toMatchObject({ ok: false, error: { code: "not_found" } });
      expect((await imageRows(app, bob.user.id)).map((row) => row.id)).toContain(bobImage.imageId);
    });
  });
});
