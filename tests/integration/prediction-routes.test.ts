import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST } = await import("@/app/api/replicate/route");
const { GET } = await import("@/app/api/replicate/[id]/route");
const { GET: GET_FILE } = await import("@/app/api/files/[...path]/route");

let app: LocalApp;
let alice: TestSession;
let bob: TestSession;

beforeAll(async () => {
  app = await startLocalApp({ RATE_LIMIT_CONCURRENT: "3", RATE_LIMIT_CREATES_PER_MINUTE: "50" });
  alice = await app.signUp("alice@example.com");
  bob = await app.signUp("bob@example.com");
});
afterAll(() => app.stop());
beforeEach(() => app.actAs(alice));

async function create(input: unknown = { prompt: "a lighthouse at dawn", seed: 7 }) {
  return POST(jsonRequest("/api/replicate", { input }), params({}));
}

async function poll(id: string) {
  return GET(new Request(`http://localhost:3000/api/replicate/${encodeURIComponent(id)}`), params({ id }));
}

async function predictionCount(userId: string) {
  const rows = await app.context.serviceBackend().rows.countPredictionsSince({ userId, since: "1970-01-01T00:00:00Z" });
  return rows;
}

describe("POST /api/replicate", () => {
  it("answers 401 JSON to a signed-out caller and starts nothing", async () => {
    app.actAs(null);
    const response = await create();
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "unauthorized", message: "Sign in to continue." } });
    expect(await predictionCount(alice.user.id)).toBe(0);
  });

  it("answers 401 to a forged session cookie", async () => {
    testCookies.set("sdxl-session", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged");
    expect((await create()).status).toBe(401);
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
    const before = await predictionCount(alice.user.id);
    const response = await create({ prompt: "", width: 1000 });
    expect(response.status).toBe(422);
    const body = await response.json();
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.fields.prompt).toEqual(["Describe the image you want."]);
    expect(body.error.fields.width).toEqual(["Width must be a multiple of 64."]);
    expect(await predictionCount(alice.user.id)).toBe(before);
  });

  it("starts a prediction and records its owner: 201 with the prediction", async () => {
    const response = await create();
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({
      status: "starting",
      model: "local-preview",
      input: { prompt: "a lighthouse at dawn", seed: 7, width: 1024, height: 1024 },
      image: null,
    });
    const row = await app.context.backendFor(alice.user).rows.getPrediction({ id: body.id, userId: alice.user.id });
    expect(row?.user_id).toBe(alice.user.id);
  });

  it("records the seed the model chose when none was given, so the image can be made again", async () => {
    const body = await (await create({ prompt: "random seed please" })).json();
    expect(body.input.seed).toEqual(expect.any(Number));
  });
});

describe("GET /api/replicate/[id]", () => {
  it("answers 401 to a signed-out caller", async () => {
    const { id } = await (await create()).json();
    app.actAs(null);
    expect((await poll(id)).status).toBe(401);
  });

  it("answers 404, not 403, for another person's prediction, and saves nothing for them", async () => {
    const { id } = await (await create()).json();
    app.actAs(bob);
    const response = await poll(id);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "Prediction not found." } });
    app.actAs(alice);
    expect((await (await poll(id)).json()).image.url).toContain(alice.user.id);
  });

  it.each(["does-not-exist", "../../etc/passwd", "a%00b", "x".repeat(300)])("answers 404 for the id %s", async (id) => {
    expect((await poll(id)).status).toBe(404);
  });

  it("saves the finished image on the first poll and answers with it", async () => {
    const { id } = await (await create()).json();
    const response = await poll(id);
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ id, status: "succeeded", progress: 1, error: null });
    expect(body.image).toEqual({
      id: expect.any(String),
      url: `/api/files/${alice.user.id}/${id}.png`,
      width: 1024,
      height: 1024,
    });
    // Polling again answers from the stored record: same image.
    expect((await (await poll(id)).json()).image.id).toBe(body.image.id);
  });
});

describe("GET /api/files/[...path]", () => {
  it("serves the owner's image as a PNG that cannot be sniffed into a page", async () => {
    const { id } = await (await create()).json();
    const { image } = await (await poll(id)).json();
    const segments = image.url.replace("/api/files/", "").split("/");
    const response = await GET_FILE(new Request(`http://localhost:3000${image.url}`), params({ path: segments }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-disposition")).toBe(`inline; filename="${id}.png"`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);

    app.actAs(bob);
    expect((await GET_FILE(new Request(`http://localhost:3000${image.url}`), params({ path: segments }))).status).toBe(404);
    app.actAs(null);
    expect((await GET_FILE(new Request(`http://localhost:3000${image.url}`), params({ path: segments }))).status).toBe(401);
  });

  it("answers 404 to paths that try to leave the storage folder", async () => {
    for (const segments of [["..", "..", "auth-secret"], [alice.user.id, "..", "..", "pglite"], ["%2e%2e", "x.png"]]) {
      const response = await GET_FILE(new Request("http://localhost:3000/api/files/x"), params({ path: segments }));
      expect(response.status).toBe(404);
    }
  });
});

describe("files on disk", () => {
  it("keeps one file per saved prediction under the owner's folder", async () => {
    const dana = await app.signUp("dana@example.com");
    app.actAs(dana);
    const { id } = await (await create()).json();
    await Promise.all([poll(id), poll(id), poll(id)]);
    const folder = path.join(app.dataDir, "storage", "sdxl-images", dana.user.id);
    expect(await readdir(folder)).toEqual([`${id}.png`]);
  });
});
