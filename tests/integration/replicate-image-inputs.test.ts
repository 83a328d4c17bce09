import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encodePng } from "@/lib/models/png";
import { DEFAULT_SDXL_VERSION } from "@/lib/models/model-ref";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, REPLICATE_API, TEST_TOKEN } from "@/tests/msw/replicate-handlers";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp } from "@/tests/support/local-app";
import type { TestSession } from "@/tests/support/backends";

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: START } = await import("@/app/api/inputs/route");
const { PUT: CONTENT } = await import("@/app/api/inputs/[id]/content/route");
const { POST: COMPLETE } = await import("@/app/api/inputs/[id]/complete/route");
const { POST: CREATE } = await import("@/app/api/replicate/route");

/**
 * A create for SDXL (optional `image` and `mask`) against the strict Replicate
 * emulator: each input image goes up through the Files API exactly as the
 * official client sends it, and the create carries those files' URLs, never a
 * storage URL, while the app's row keeps the `input:<id>` references.
 */

const api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
const server = setupServer(...api.handlers);
let app: LocalApp;
let alice: TestSession;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  app = await startLocalApp({ REPLICATE_API_TOKEN: TEST_TOKEN, RATE_LIMIT_CONCURRENT: "5" });
  alice = await app.signUp("alice@example.com");
  app.actAs(alice);
});
afterAll(async () => {
  await app.stop();
  server.close();
});

function png(width: number, height: number, shade: number): Uint8Array {
  return new Uint8Array(encodePng({ width, height, pixels: new Uint8Array(width * height * 3).fill(shade) }));
}

async function uploaded(bytes: Uint8Array): Promise<{ id: string; ref: string }> {
  const started = await (await START(jsonRequest("/api/inputs", { contentType: "image/png", bytes: bytes.byteLength }), params({}))).json();
  const put = new Request(new URL(started.upload.url, "http://localhost:3000"), { method: "PUT", headers: started.upload.headers, body: bytes.slice() });
  expect((await CONTENT(put, params({ id: started.id }))).status).toBe(200);
  const done = await COMPLETE(new Request(`http://localhost:3000/api/inputs/${started.id}/complete`, { method: "POST" }), params({ id: started.id }));
  expect(done.status).toBe(200);
  return started;
}

describe("creating an SDXL prediction with an image and a mask", () => {
  it("uploads each through the Files API, then creates with exactly those file URLs", async () => {
    const imageBytes = png(512, 384, 120);
    const maskBytes = png(512, 384, 255);
    const image = await uploaded(imageBytes);
    const mask = await uploaded(maskBytes);
    api.requests.length = 0;

    const input = { prompt: "the same harbour at night", image: image.ref, mask: mask.ref, prompt_strength: 0.7, seed: 11 };
    const response = await CREATE(jsonRequest("/api/replicate", { input }), params({}));
    expect(response.status).toBe(201);
    const view = await response.json();

    // Two multipart uploads, as replicate 1.4.0's files.create sends them.
    const uploads = api.requestsTo("files");
    expect(uploads).toHaveLength(2);
    for (const request of uploads) {
      expect(request.method).toBe("POST");
      expect(request.url).toBe(`${REPLICATE_API}/files`);
      expect(request.headers.authorization).toBe(`Bearer ${TEST_TOKEN}`);
      expect(request.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
      expect(String(request.body)).toMatch(/name="content"; filename="(image|mask)\.png"/);
      expect(String(request.body)).toMatch(/name="metadata"[\s\S]*\{\}/);
    }
    const byName = new Map([...api.files.values()].map((file) => [file.object.name, file]));
    expect(byName.get("image.png")?.object).toMatchObject({ content_type: "image/png", size: imageBytes.byteLength });
    expect(Buffer.from(byName.get("image.png")!.bytes).equals(Buffer.from(imageBytes))).toBe(true);
    expect(Buffer.from(byName.get("mask.png")!.bytes).equals(Buffer.from(maskBytes))).toBe(true);

    // Then exactly one create, after both uploads, carrying the files' own URLs.
    const creates = api.requestsTo("create");
    expect(creates).toHaveLength(1);
    expect(api.requests.indexOf(creates[0])).toBeGreaterThan(Math.max(...uploads.map((u) => api.requests.indexOf(u))));
    expect(creates[0].url).toBe(`${REPLICATE_API}/predictions`);
    expect(creates[0].body).toEqual({
      version: DEFAULT_SDXL_VERSION,
      input: {
        ...Object.fromEntries(Object.entries(view.input).filter(([name]) => name !== "image" && name !== "mask")),
        image: byName.get("image.png")!.object.urls.get,
        mask: byName.get("mask.png")!.object.urls.get,
      },
    });
    expect(byName.get("image.png")!.object.urls.get).toMatch(new RegExp(`^${REPLICATE_API}/files/[a-z0-9]{26}$`));

    // What the app keeps is the reference, never the file URL (it expires with the file).
    const row = await app.context.serviceBackend().rows.getPrediction({ id: view.id, userId: alice.user.id });
    expect(row?.input).toMatchObject({ image: image.ref, mask: mask.ref, prompt_strength: 0.7 });
    expect(JSON.stringify(row?.input)).not.toContain("replicate.com");
  });

  it("uploads nothing and creates nothing when a reference is not the person's", async () => {
    api.requests.length = 0;
    const response = await CREATE(
      jsonRequest("/api/replicate", { input: { prompt: "someone else's", image: "input:0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d" } }),
      params({}),
    );
    expect(response.status).toBe(422);
    expect(api.requestsTo("files")).toEqual([]);
    expect(api.requestsTo("create")).toEqual([]);
  });
});
