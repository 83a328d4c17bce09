import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createReplicateModel } from "@/lib/models/replicate";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, DELIVERY_ORIGIN, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";
import { auditStorage } from "@/tests/support/storage-audit";

/**
 * What the save itself refuses, whatever the model's output claims to be: bytes
 * that are not an image (an HTML error page served as image/png), and an image
 * larger than MAX_OUTPUT_BYTES, whether its size is declared up front or only
 * found while streaming. Each must end with a clear error, no image row and no
 * file, so nothing wrong is ever shown or kept. (A mutation audit found a
 * fallback to PNG and an ignored limit went unnoticed.)
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST: create } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");

/** Small, so the save's own limit is what stops a large output (the bucket allows 20 MB). */
const MAX_OUTPUT_BYTES = 64 * 1024;

const server = setupServer();
let api: ReplicateApi;
let app: LocalApp;
let alice: TestSession;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
  server.resetHandlers(...api.handlers);
  app = await startLocalApp({
    REPLICATE_API_TOKEN: TEST_TOKEN,
    MAX_OUTPUT_BYTES: String(MAX_OUTPUT_BYTES),
    RATE_LIMIT_CONCURRENT: "50",
    RATE_LIMIT_CREATES_PER_MINUTE: "100",
  });
  alice = await app.signUp("alice@example.com");
  app.context.model = createReplicateModel({ apiToken: TEST_TOKEN }, { retry: { attempts: 1, baseDelayMs: 1, budgetMs: 500, attemptTimeoutMs: 500 } });
});

afterAll(async () => {
  await app?.stop();
  server.close();
});

beforeEach(() => {
  app.actAs(alice);
  server.resetHandlers(...api.handlers);
});

afterEach(async () => {
  const audit = await auditStorage(app.dataDir);
  expect(audit.rowsWithoutFile).toEqual([]);
  expect(audit.filesWithoutRow).toEqual([]);
});

/** A prediction Replicate has finished, whose output the test serves. */
async function finished(): Promise<string> {
  const response = await create(jsonRequest("/api/replicate", { input: { prompt: "a lighthouse at dawn" } }), params({}));
  expect(response.status).toBe(201);
  const id = (await response.json()).id as string;
  Object.assign(api.predictions.get(id)!, {
    status: "succeeded",
    output: [api.outputUrl(id)],
    started_at: new Date().toISOString(),
    completed_at: new Date().toISOString(),
  });
  return id;
}

function serveOutput(respond: () => Response) {
  server.use(http.get(`${DELIVERY_ORIGIN}/xezq/:id/out-0.png`, respond));
}

/** A valid PNG's header followed by `size` bytes of filler: an "image" of that size. */
function pngOfSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(api.png.subarray(0, Math.min(api.png.byteLength, 64)));
  return bytes;
}

async function expectNothingSaved(id: string, message: RegExp) {
  const result = await saveGeneratedImage(id);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.message).toMatch(message);
  const audit = await auditStorage(app.dataDir);
  expect(audit.images.filter((image) => image.prediction_id === id)).toEqual([]);
  expect(audit.files.filter((file) => file.includes(id))).toEqual([]);
}

describe("the save refuses", () => {
  it("an HTML page served as image/png: not an image, nothing stored", async () => {
    const id = await finished();
    serveOutput(() => new HttpResponse("<!doctype html><title>502 Bad Gateway</title>", { headers: { "content-type": "image/png" } }));
    await expectNothingSaved(id, /not an image/);
  });

  it("bytes with no known image signature, even as octet-stream", async () => {
    const id = await finished();
    serveOutput(() => new HttpResponse(new Uint8Array(4096).fill(7), { headers: { "content-type": "application/octet-stream" } }));
    await expectNothingSaved(id, /not an image/);
  });

  it("an image declared larger than MAX_OUTPUT_BYTES, before reading it", async () => {
    const id = await finished();
    const body = pngOfSize(MAX_OUTPUT_BYTES + 1);
    serveOutput(() => new HttpResponse(body, { headers: { "content-type": "image/png", "content-length": String(body.byteLength) } }));
    await expectNothingSaved(id, /larger than/);
  });

  it("an image found larger than MAX_OUTPUT_BYTES while streaming, with no size declared", async () => {
    const id = await finished();
    const body = pngOfSize(MAX_OUTPUT_BYTES * 2);
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < body.byteLength; at += 8192) controller.enqueue(body.slice(at, at + 8192));
          controller.close();
        },
      });
    serveOutput(() => new HttpResponse(chunked(), { headers: { "content-type": "image/png" } }));
    await expectNothingSaved(id, /larger than/);
  });

  it("a PNG whose size cannot be read: its file is removed, not kept without a row", async () => {
    const id = await finished();
    // The signature and nothing else: an image type, but no header to measure.
    serveOutput(() => new HttpResponse(api.png.slice(0, 12), { headers: { "content-type": "image/png" } }));
    await expectNothingSaved(id, /size cannot be read/);
  });

  it("and then saves the real image once the model's output is fine again", async () => {
    const id = await finished();
    serveOutput(() => new HttpResponse("<html></html>", { headers: { "content-type": "image/png" } }));
    await expectNothingSaved(id, /not an image/);
    server.resetHandlers(...api.handlers);
    const saved = await saveGeneratedImage(id);
    expect(saved.ok && saved.images.map((image) => image.index)).toEqual([0]);
  });
});
