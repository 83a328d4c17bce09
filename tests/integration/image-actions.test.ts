import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
// revalidatePath needs Next's request store; the gallery's freshness is the e2e tests' business.
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { deleteImage } = await import("@/app/dashboard/actions");

let app: LocalApp;
let alice: TestSession;
let bob: TestSession;

beforeAll(async () => {
  app = await startLocalApp({ RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" });
  alice = await app.signUp("alice@example.com");
  bob = await app.signUp("bob@example.com");
});
afterAll(() => app.stop());
beforeEach(() => app.actAs(alice));

async function startPrediction(prompt = "a paper boat") {
  const response = await POST(jsonRequest("/api/replicate", { input: { prompt } }), params({}));
  expect(response.status).toBe(201);
  return (await response.json()).id as string;
}

async function savedFiles(userId: string) {
  return readdir(path.join(app.dataDir, "storage", "sdxl-images", userId)).catch(() => []);
}

async function imageRows(userId: string) {
  return app.context.serviceBackend().rows.listImages({ userId, limit: 100 });
}

describe("saveGeneratedImage", () => {
  it("returns the same image when called twice, with one row and one file", async () => {
    const id = await startPrediction();
    const first = await saveGeneratedImage(id);
    const second = await saveGeneratedImage(id);
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.image).toEqual(first.image);
    expect((await imageRows(alice.user.id)).filter((row) => row.prediction_id === id)).toHaveLength(1);
    expect((await savedFiles(alice.user.id)).filter((name) => name.startsWith(id))).toEqual([`${id}.png`]);
  });

  it("returns the same image when called twice at once, with one row and one file", async () => {
    const id = await startPrediction();
    const results = await Promise.all([saveGeneratedImage(id), saveGeneratedImage(id), saveGeneratedImage(id)]);
    const ids = results.map((result) => (result.ok ? result.image.id : result.error.code));
    expect(new Set(ids).size).toBe(1);
    expect((await imageRows(alice.user.id)).filter((row) => row.prediction_id === id)).toHaveLength(1);
    expect((await savedFiles(alice.user.id)).filter((name) => name.startsWith(id))).toHaveLength(1);
  });

  it("refuses someone else's prediction as not found, saving nothing", async () => {
    const id = await startPrediction();
    app.actAs(bob);
    expect(await saveGeneratedImage(id)).toEqual({ ok: false, error: { code: "not_found", message: "Prediction not found." } });
    expect(await imageRows(bob.user.id)).toEqual([]);
    expect(await savedFiles(bob.user.id)).toEqual([]);
    expect((await imageRows(alice.user.id)).some((row) => row.prediction_id === id)).toBe(false);
  });

  it("refuses a signed-out caller", async () => {
    const id = await startPrediction();
    app.actAs(null);
    expect(await saveGeneratedImage(id)).toMatchObject({ ok: false, error: { code: "unauthorized" } });
  });

  it("answers not found for ids that are not prediction ids", async () => {
    for (const id of ["", "../x", "a/b", "x".repeat(100)]) {
      expect(await saveGeneratedImage(id)).toMatchObject({ ok: false, error: { code: "not_found" } });
    }
  });
});

describe("deleteImage", () => {
  it("removes the owner's row and file", async () => {
    const id = await startPrediction("to be deleted");
    const saved = await saveGeneratedImage(id);
    if (!saved.ok) throw new Error(saved.error.message);
    expect(await deleteImage(saved.image.id)).toEqual({ ok: true });
    expect((await imageRows(alice.user.id)).some((row) => row.id === saved.image.id)).toBe(false);
    expect(await savedFiles(alice.user.id)).not.toContain(`${id}.png`);
  });

  it("cannot delete someone else's image: not found, and the image stays", async () => {
    const id = await startPrediction("keep me");
    const saved = await saveGeneratedImage(id);
    if (!saved.ok) throw new Error(saved.error.message);
    app.actAs(bob);
    expect(await deleteImage(saved.image.id)).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(await deleteImage("not-a-uuid")).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect((await imageRows(alice.user.id)).some((row) => row.id === saved.image.id)).toBe(true);
    expect(await savedFiles(alice.user.id)).toContain(`${id}.png`);
  });
});
