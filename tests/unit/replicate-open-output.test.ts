import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { createReplicateModel } from "@/lib/models/replicate";
import type { ModelPrediction } from "@/lib/predictions/types";
import { createReplicateApi, TEST_TOKEN, type ReplicateApi } from "@/tests/msw/replicate-handlers";

const server = setupServer();
let api: ReplicateApi;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
beforeEach(() => {
  api = createReplicateApi();
  server.resetHandlers(...api.handlers);
});

const model = (baseUrl?: string) =>
  createReplicateModel({ apiToken: TEST_TOKEN, baseUrl });

async function succeeded(): Promise<ModelPrediction> {
  const { id } = api.addPrediction({ status: "succeeded" });
  return model().get(id);
}

const reject = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(AppError);
      return error as AppError;
    },
  );

describe("openOutput", () => {
  it("streams the first output with its type and length, byte for byte", async () => {
    const download = await model().openOutput(await succeeded(), 0);
    expect(download.contentType).toBe("image/png");
    expect(download.contentLength).toBe(api.png.byteLength);
    const bytes = new Uint8Array(await new Response(download.body).arrayBuffer());
    expect(Buffer.from(bytes).equals(api.png)).toBe(true);
  });

  it("accepts a single URL as output", async () => {
    const prediction = await succeeded();
    const single = { ...prediction, output: (prediction.output as string[])[0] };
    await expect(model().openOutput(single, 0)).resolves.toMatchObject({ contentType: "image/png" });
  });

  it("refuses an output on a host outside the allow-list without fetching it", async () => {
    const prediction = { ...(await succeeded()), output: ["https://evil.example.com/out-0.png"] };
    const error = await reject(model().openOutput(prediction, 0));
    expect(error).toMatchObject({ code: "upstream_error", message: "The model's output is not on a host this app downloads from." });
    expect(api.requests.some((r) => new URL(r.url).hostname === "evil.example.com")).toBe(false);
  });

  it("does not follow a redirect off the delivery host", async () => {
    const prediction = await succeeded();
    const url = (prediction.output as string[])[0];
    server.use(http.get(url, () => HttpResponse.redirect("https://evil.example.com/out.png", 302)));
    expect(await reject(model().openOutput(prediction, 0))).toMatchObject({
      status: 502,
      message: "The image download was redirected away from the model's output host.",
    });
  });

  it("gives up on a download that stalls part way even though the body ignores its abort signal", async () => {
    // msw's mocked bodies ignore the fetch's signal, as Node's fetch can once
    // its Request is garbage collected (nodejs/undici#3644): the timeout must hold anyway.
    const prediction = await succeeded();
    const url = (prediction.output as string[])[0];
    const stalling = new ReadableStream<Uint8Array>({ start: (controller) => controller.enqueue(api.png.subarray(0, 400)) });
    server.use(http.get(url, () => new HttpResponse(stalling, { headers: { "content-type": "image/png" } })));
    const quick = createReplicateModel(
      { apiToken: TEST_TOKEN },
      { downloadTimeoutMs: 200 },
    );

    const download = await quick.openOutput(prediction, 0);
    await expect(new Response(download.body).arrayBuffer()).rejects.toMatchObject({ name: "TimeoutError" });
  });

  it("says when the output has expired", async () => {
    const prediction = await succeeded();
    api.failNext("delivery", 404);
    expect((await reject(model().openOutput(prediction, 0))).message).toContain("no longer available");
  });

  it("refuses a prediction that has not succeeded", async () => {
    const { id } = api.addPrediction({ status: "starting" });
    const starting = { ...(await model().get(id)), status: "starting" as const };
    expect(await reject(model().openOutput(starting, 0))).toMatchObject({ code: "conflict" });
  });

  it("downloads from REPLICATE_BASE_URL's host when the server keeps outputs there", async () => {
    api = createReplicateApi({ baseUrl: "http://localhost:5000/v1", outputOrigin: "http://localhost:5000" });
    server.resetHandlers(...api.handlers);
    const m = model("http://localhost:5000/v1");
    const { id } = api.addPrediction({ status: "succeeded" });
    const download = await m.openOutput(await m.get(id), 0);
    expect(Buffer.from(await new Response(download.body).arrayBuffer()).equals(api.png)).toBe(true);
  });
});
