import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalModel, FAIL_MESSAGE } from "@/lib/models/local-model";
import sharp from "sharp";
import { encodePng, PNG_SIGNATURE } from "@/lib/models/png";
import { LOCAL_MODEL_SCHEMA } from "@/lib/models/local-model-schema";
import { parseProgress } from "@/lib/predictions/progress";
import type { ModelPrediction } from "@/lib/predictions/types";

const T0 = Date.parse("2025-03-01T12:00:00.000Z");
const DURATION = 4000; // starting for 400 ms, then 30 steps of 120 ms

let dataDir: string;
let clock: number;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "local-model-"));
  clock = T0;
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function model(durationMs = DURATION) {
  return createLocalModel({ dataDir, durationMs, now: () => clock });
}

type Draft = Record<string, string | number | boolean>;

// Small images keep the rendering tests fast.
function input(draft: Draft = {}) {
  return { prompt: "a quiet harbour at dawn", width: 320, height: 256, ...draft };
}

function run(draft: Draft = {}) {
  return { target: { kind: "local" as const }, input: input(draft) };
}

/** What the model records: its schema's defaults filled in, then what was sent. */
function resolved(draft: Draft = {}) {
  return { negative_prompt: "", num_outputs: 1, num_inference_steps: 30, guidance_scale: 7.5, prompt_strength: 0.8, ...input(draft) };
}

async function outputBytes(prediction: ModelPrediction, instance = model(), index = 0) {
  const download = await instance.openOutput(prediction, index);
  const bytes = Buffer.from(await new Response(download.body).arrayBuffer());
  return { download, bytes };
}

async function finished(draft: Draft = {}, instance = model()) {
  const created = await instance.create(run(draft));
  clock += DURATION;
  const prediction = await instance.get(created.id);
  expect(prediction.status).toBe("succeeded");
  return prediction;
}

describe("local preview model", () => {
  it("describes itself honestly as a local preview, with its inputs in Cog's schema form", async () => {
    const instance = model();
    expect(instance.isLocalPreview).toBe(true);
    expect(await instance.describe("local")).toEqual({ model: "local-preview", version: null, openapiSchema: LOCAL_MODEL_SCHEMA });
  });

  it("refuses input its schema does not allow, with field errors, and starts nothing", async () => {
    const instance = model();
    await expect(instance.create(run({ width: 4096, style: "oil" }))).rejects.toMatchObject({
      code: "invalid_input",
      fields: { width: ["Width must be at most 1536."], style: ["Unknown field: style."] },
    });
    expect(existsSync(path.join(dataDir, "local-model", "predictions"))).toBe(false);
  });

  it("makes as many different images as num_outputs asks for, each opened by its index", async () => {
    const instance = model();
    const prediction = await finished({ num_outputs: 3 }, instance);
    expect(prediction.output).toEqual([0, 1, 2].map((i) => `local-model://${prediction.id}${i === 0 ? "" : `-${i}`}.png`));
    const images = await Promise.all([0, 1, 2].map(async (index) => (await outputBytes(prediction, instance, index)).bytes.toString("base64")));
    expect(new Set(images).size).toBe(3);
    await expect(instance.openOutput(prediction, 3)).rejects.toMatchObject({ code: "upstream_error" });
  });

  it("creates a Replicate-shaped prediction, stores it, and picks a seed", async () => {
    const prediction = await model().create(run());
    expect(prediction).toEqual({
      id: expect.stringMatching(/^[a-z0-9]{26}$/),
      model: "local-preview",
      version: null,
      input: { ...resolved(), seed: expect.any(Number) },
      logs: "",
      output: null,
      error: null,
      status: "starting",
      created_at: new Date(T0).toISOString(),
      started_at: null,
      completed_at: null,
    });
    const seed = prediction.input.seed as number;
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1).toBe(true);
    const record = JSON.parse(await readFile(path.join(dataDir, "local-model", "predictions", `${prediction.id}.json`), "utf8"));
    expect(record.input.seed).toBe(seed);
  });

  it("keeps a seed the person chose", async () => {
    const prediction = await model().create(run({ seed: 1234 }));
    expect(prediction.input.seed).toBe(1234);
  });

  it("gives every prediction its own id", async () => {
    const instance = model();
    const ids = await Promise.all(Array.from({ length: 20 }, () => instance.create(run()).then((p) => p.id)));
    expect(new Set(ids).size).toBe(20);
  });

  it("goes from starting to processing with advancing tqdm logs to succeeded", async () => {
    const instance = model();
    const { id } = await instance.create(run({ seed: 77 }));

    clock = T0 + 200;
    const starting = await instance.get(id);
    expect(starting).toMatchObject({ status: "starting", logs: "", started_at: null, output: null });

    clock = T0 + 400;
    const justStarted = await instance.get(id);
    expect(justStarted.status).toBe("processing");
    expect(justStarted.started_at).toBe(new Date(T0 + 400).toISOString());
    expect(justStarted.logs).toBe("Using seed: 77\n  0%|          | 0/30 [00:00<?, ?it/s]\n");
    expect(parseProgress(justStarted.logs)).toBe(0);

    const seen: number[] = [];
    for (const at of [1000, 2000, 3000, 3990]) {
      clock = T0 + at;
      const prediction = await instance.get(id);
      expect(prediction.status).toBe("processing");
      expect(prediction.completed_at).toBeNull();
      seen.push(parseProgress(prediction.logs)!);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[0]).toBeCloseTo(5 / 30);
    expect(seen[3]).toBeCloseTo(29 / 30);

    clock = T0 + DURATION;
    const done = await instance.get(id);
    expect(done).toMatchObject({
      status: "succeeded",
      output: [`local-model://${id}.png`],
      error: null,
      started_at: new Date(T0 + 400).toISOString(),
      completed_at: new Date(T0 + DURATION).toISOString(),
    });
    expect(parseProgress(done.logs)).toBe(1);
    expect(done.logs?.trimEnd().split("\n")).toHaveLength(1 + 31);

    clock = T0 + 60_000;
    expect(await instance.get(id)).toEqual(done);
  });

  it("succeeds on the first get when the duration is 0", async () => {
    const instance = model(0);
    const created = await instance.create(run());
    expect(created.status).toBe("starting");
    const prediction = await instance.get(created.id);
    expect(prediction.status).toBe("succeeded");
    expect(prediction.output).toEqual([`local-model://${created.id}.png`]);
    expect(parseProgress(prediction.logs)).toBe(1);
  });

  it("carries a prediction across a restart, on its original schedule", async () => {
    const { id } = await model().create(run());
    clock = T0 + 2200;
    // A new instance on the same folder, configured differently, as after a restart.
    const restarted = createLocalModel({ dataDir, durationMs: 60_000, now: () => clock });
    const prediction = await restarted.get(id);
    expect(prediction.status).toBe("processing");
    expect(parseProgress(prediction.logs)).toBeCloseTo(15 / 30);
    clock = T0 + DURATION;
    expect((await restarted.get(id)).status).toBe("succeeded");
  });

  it("renders a PNG of the requested size and caches it", async () => {
    const prediction = await finished({ width: 384, height: 256 });
    const { download, bytes } = await outputBytes(prediction);
    expect(download.contentType).toBe("image/png");
    expect(download.contentLength).toBe(bytes.length);
    expect(bytes.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(bytes.toString("latin1", 12, 16)).toBe("IHDR");
    expect(bytes.readUInt32BE(16)).toBe(384);
    expect(bytes.readUInt32BE(20)).toBe(256);
    const cached = path.join(dataDir, "local-model", "outputs", `${prediction.id}.png`);
    expect((await readFile(cached)).equals(bytes)).toBe(true);
    expect((await outputBytes(prediction)).bytes.equals(bytes)).toBe(true);
  });

  it("answers concurrent opens of one output with the same image", async () => {
    const instance = model();
    const prediction = await finished({}, instance);
    const [a, b] = await Promise.all([outputBytes(prediction, instance), outputBytes(prediction, instance)]);
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });

  it("is deterministic in prompt and seed", async () => {
    const first = await outputBytes(await finished({ seed: 42 }));
    const again = await outputBytes(await finished({ seed: 42 }));
    const otherSeed = await outputBytes(await finished({ seed: 43 }));
    const otherPrompt = await outputBytes(await finished({ seed: 42, prompt: "a neon city in the rain" }));
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(otherSeed.bytes.equals(first.bytes)).toBe(false);
    expect(otherPrompt.bytes.equals(first.bytes)).toBe(false);
  });

  it("cancels a running prediction and remembers it", async () => {
    const instance = model();
    const { id } = await instance.create(run());
    clock = T0 + 1600;
    const canceled = await instance.cancel(id);
    expect(canceled).toMatchObject({
      status: "canceled",
      output: null,
      error: null,
      started_at: new Date(T0 + 400).toISOString(),
      completed_at: new Date(T0 + 1600).toISOString(),
    });
    expect(parseProgress(canceled.logs)).toBeCloseTo(10 / 30);

    clock = T0 + DURATION * 2;
    expect(await createLocalModel({ dataDir, durationMs: DURATION, now: () => clock }).get(id)).toEqual(canceled);
    expect(await instance.cancel(id)).toEqual(canceled);
    await expect(instance.openOutput({ ...canceled, status: "succeeded", output: [`local-model://${id}.png`] }, 0)).rejects.toMatchObject({
      code: "upstream_error",
    });
  });

  it("cancels a prediction that has not started yet", async () => {
    const instance = model();
    const { id } = await instance.create(run());
    clock = T0 + 100;
    expect(await instance.cancel(id)).toMatchObject({ status: "canceled", logs: "", started_at: null });
  });

  it("leaves a finished prediction unchanged when asked to cancel it", async () => {
    const instance = model();
    const prediction = await finished({}, instance);
    clock += 1000;
    expect(await instance.cancel(prediction.id)).toEqual(prediction);
    expect(await instance.get(prediction.id)).toEqual(prediction);
  });

  it("fails half way when the prompt contains [fail], in any case", async () => {
    const instance = model();
    const { id } = await instance.create(run({ prompt: "a castle [FAIL] at night" }));
    clock = T0 + 2100;
    expect((await instance.get(id)).status).toBe("processing");

    clock = T0 + 2200;
    const failed = await instance.get(id);
    expect(failed).toMatchObject({
      status: "failed",
      error: FAIL_MESSAGE,
      output: null,
      completed_at: new Date(T0 + 2200).toISOString(),
    });
    expect(FAIL_MESSAGE).toBe(
      "The local preview model was asked to fail (the prompt contains [fail]). Remove it and try again.",
    );
    expect(parseProgress(failed.logs)).toBeCloseTo(0.5);

    clock = T0 + DURATION * 3;
    expect(await instance.get(id)).toEqual(failed);
    expect(await instance.cancel(id)).toEqual(failed);
  });

  it("answers not_found for an unknown id", async () => {
    await expect(model().get("abcdefghijklmnopqrstuvwxyz")).rejects.toMatchObject({
      code: "not_found",
      status: 404,
      message: "Prediction not found.",
    });
    await expect(model().cancel("abcdefghijklmnopqrstuvwxyz")).rejects.toMatchObject({ code: "not_found" });
  });

  it.each([
    ["empty", ""],
    ["too short", "abc"],
    ["upper case", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"],
    ["a path", "../../../../../../etc/passwd"],
    ["an encoded path", "..%2f..%2fsecret"],
    ["a dot segment with a valid length", "../aaaaaaaaaaaaaaaaaaaaaaa"],
  ])("answers not_found for a malformed id (%s)", async (_name, id) => {
    await expect(model().get(id)).rejects.toMatchObject({ code: "not_found" });
    await expect(model().cancel(id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("never reads a record outside its folder", async () => {
    const instance = model();
    const { id } = await instance.create(run());
    const stored = await readFile(path.join(dataDir, "local-model", "predictions", `${id}.json`), "utf8");
    await writeFile(path.join(dataDir, "local-model", "planted.json"), stored);
    await expect(instance.get("../planted")).rejects.toMatchObject({ code: "not_found" });
  });

  it("treats a damaged record as an internal error, not as missing", async () => {
    const instance = model();
    const { id } = await instance.create(run());
    await writeFile(path.join(dataDir, "local-model", "predictions", `${id}.json`), '{"id": 1}');
    const error = await instance.get(id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toHaveProperty("code");
  });

  it("opens only its own output for the prediction it is given", async () => {
    const instance = model();
    const mine = await finished({}, instance);
    const other = await finished({}, instance);
    const refused = [
      { ...mine, output: ["https://replicate.delivery/pbxt/abc/out-0.png"] },
      { ...mine, output: other.output },
      { ...mine, output: `local-model://${other.id}.png` },
      { ...mine, output: [`local-model://../${mine.id}.png`] },
      { ...mine, output: null },
      { ...mine, status: "processing" as const },
      { ...mine, id: "../../etc/passwd", output: ["local-model://../../etc/passwd.png"] },
    ];
    for (const prediction of refused) {
      await expect(instance.openOutput(prediction, 0)).rejects.toMatchObject({ code: "upstream_error", status: 502 });
    }
    // Its own output is fine, as a list (as Replicate returns it) or a single URL.
    await expect(instance.openOutput({ ...mine, output: `local-model://${mine.id}.png` }, 0)).resolves.toMatchObject({
      contentType: "image/png",
    });
    expect(existsSync(path.join(dataDir, "local-model", "outputs", `${other.id}.png`))).toBe(false);
  });

  it("refuses to open a prediction that is still running, whatever the caller claims", async () => {
    const instance = model();
    const { id } = await instance.create(run());
    clock = T0 + 1000;
    const running = await instance.get(id);
    await expect(
      instance.openOutput({ ...running, status: "succeeded", output: [`local-model://${id}.png`] }, 0),
    ).rejects.toMatchObject({ code: "upstream_error" });
    expect(existsSync(path.join(dataDir, "local-model", "outputs", `${id}.png`))).toBe(false);
  });
});

describe("local preview model, image to image", () => {
  const W = 320;
  const H = 256;
  const flat = (rgb: [number, number, number], width = W, height = H) => {
    const pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) pixels.set(rgb, i * 3);
    return new Uint8Array(encodePng({ width, height, pixels }));
  };
  /** A mask: white (repaint) on the right half, black (keep) on the left. */
  const halfMask = () => {
    const pixels = new Uint8Array(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = W / 2; x < W; x++) pixels.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
    return new Uint8Array(encodePng({ width: W, height: H, pixels }));
  };
  async function pixelsOf(prediction: ModelPrediction, instance: ReturnType<typeof model>) {
    const { bytes } = await outputBytes(prediction, instance);
    return new Uint8Array(await sharp(bytes).raw().toBuffer());
  }
  const meanOf = (pixels: Uint8Array, channel: number, from = 0, to = W) => {
    let sum = 0;
    let count = 0;
    for (let y = 0; y < H; y++) for (let x = from; x < to; x++, count++) sum += pixels[(y * W + x) * 3 + channel];
    return sum / count;
  };

  it("keeps input files by content in its own folder and answers with its own reference", async () => {
    const instance = model();
    const red = flat([250, 10, 10]);
    const reference = await instance.uploadInputFile({ bytes: red, contentType: "image/png", filename: "image.png" });
    expect(reference).toMatch(/^local-input:\/\/[0-9a-f]{64}\.png$/);
    expect(await instance.uploadInputFile({ bytes: red, contentType: "image/png", filename: "again.png" })).toBe(reference);
    expect(await readFile(path.join(dataDir, "local-model", "inputs", reference.slice("local-input://".length)))).toEqual(Buffer.from(red));
    await expect(instance.uploadInputFile({ bytes: new TextEncoder().encode("not an image at all, just text"), contentType: "image/png", filename: "x.png" })).rejects.toMatchObject({
      code: "invalid_input",
    });
  });

  it("starts visibly from the given image: a red picture makes a red-dominated result", async () => {
    const instance = model();
    const image = await instance.uploadInputFile({ bytes: flat([250, 10, 10]), contentType: "image/png", filename: "image.png" });
    const plain = await pixelsOf(await finished({ seed: 5, prompt: "a blue ocean" }, instance), instance);
    const fromImage = await pixelsOf(await finished({ seed: 5, prompt: "a blue ocean", image }, instance), instance);
    expect(meanOf(fromImage, 0) - meanOf(plain, 0)).toBeGreaterThan(40);
    expect(meanOf(fromImage, 0)).toBeGreaterThan(meanOf(fromImage, 2));
    // Same input, same picture: still deterministic.
    expect(await pixelsOf(await finished({ seed: 5, prompt: "a blue ocean", image }, instance), instance)).toEqual(fromImage);
  });

  it("with a mask, keeps the image where the mask is black and paints where it is white", async () => {
    const instance = model();
    const image = await instance.uploadInputFile({ bytes: flat([250, 10, 10]), contentType: "image/png", filename: "image.png" });
    const mask = await instance.uploadInputFile({ bytes: halfMask(), contentType: "image/png", filename: "mask.png" });
    const out = await pixelsOf(await finished({ seed: 9, prompt: "a blue ocean", image, mask, prompt_strength: 1 }, instance), instance);
    expect(meanOf(out, 0, 0, W / 2)).toBe(250);
    expect(meanOf(out, 2, 0, W / 2)).toBe(10);
    expect(meanOf(out, 0, W / 2, W)).toBeLessThan(200);
  });

  it("refuses a URL or an unknown file in place of its own references", async () => {
    const instance = model();
    await expect(instance.create(run({ image: "https://example.com/a.png" }))).rejects.toMatchObject({ code: "invalid_input" });
    await expect(instance.create(run({ image: `local-input://${"a".repeat(64)}.png` }))).rejects.toMatchObject({
      code: "invalid_input",
      fields: { image: ["Choose the image again."] },
    });
  });
});
