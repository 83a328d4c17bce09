import "server-only";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readModelInputs } from "@/lib/models/cog-schema";
import type { ImageModel, OutputDownload, RunTarget } from "@/lib/models/image-model";
import type { InputValues } from "@/lib/models/input-fields";
import { SEED_RANGE } from "@/lib/models/input-policy";
import { createInputValidator } from "@/lib/models/input-validator";
import { LOCAL_MODEL_SCHEMA } from "@/lib/models/local-model-schema";
import { renderPreview } from "@/lib/models/local-render";
import { encodePng } from "@/lib/models/png";
import { detectImageType, SIGNATURE_BYTES } from "@/lib/predictions/image-signature";
import { formatProgressLine } from "@/lib/predictions/progress";
import type { ModelPrediction } from "@/lib/predictions/types";

/**
 * The built-in local preview model: a real implementation of the image-model
 * port that needs no network. It follows Replicate's prediction lifecycle and
 * JSON shape (starting → processing with tqdm logs → succeeded / failed /
 * canceled) and renders real PNGs, deterministic in (prompt, seed, size), so
 * everything downstream (polling, progress, saving, the gallery) runs exactly
 * as it does against Replicate. It is not SDXL, and the UI says so.
 *
 * Its inputs are declared in Cog's own schema form (local-model-schema.ts) and
 * checked with the same validator as a Replicate model's.
 *
 * A prediction is a JSON record on disk holding only what cannot be derived:
 * the input (defaults and the seed actually used filled in), created_at, the run's duration and,
 * once canceled, canceled_at. Its status and logs are computed from the clock
 * on every read, so a prediction carries on across a server restart and any
 * number of processes agree on it.
 *
 * Given an `image` (and a `mask`), it paints its preview over that image: the
 * app hands it input files through uploadInputFile, which it keeps by content
 * under `<dataDir>/local-model/inputs/`, so img2img and inpainting run offline.
 *
 * To try the error path without a network, put the marker `[fail]` (any case)
 * in the prompt: the prediction fails about half way with FAIL_MESSAGE.
 */

export const LOCAL_MODEL_ID = "local-preview";
export const FAIL_MARKER = "[fail]";
export const FAIL_MESSAGE =
  "The local preview model was asked to fail (the prompt contains [fail]). Remove it and try again.";

// Replicate's ids are 26 lowercase letters and digits; ours look the same, and
// nothing else ever reaches a file path.
const ID_PATTERN = /^[a-z0-9]{26}$/;
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const OUTPUT_PREFIX = "local-model://";
// Replicate queues a prediction briefly before it runs; mirror that so the UI's
// "starting" state is exercised, without making short runs feel slow.
const START_FRACTION = 0.1;
const MAX_START_MS = 500;

const MAX_OUTPUTS = 4;
const LOCAL_INPUTS = readModelInputs(LOCAL_MODEL_SCHEMA);
// What uploadInputFile hands out: content-addressed files in the model's own folder.
const INPUT_PREFIX = "local-input://";
const INPUT_NAME = /^([0-9a-f]{64})\.(png|jpg|webp)$/;
// The app validates `input:<uuid>` references; this model is handed its own file names instead.
const validateLocalInput = createInputValidator(LOCAL_MODEL_SCHEMA, LOCAL_INPUTS, { filePattern: "^local-input://[0-9a-f]{64}\\.(png|jpg|webp)$" });
const IMAGE_INPUTS = LOCAL_INPUTS.fields.filter((field) => field.kind === "image").map((field) => field.name);
const DEFAULTS = Object.fromEntries(LOCAL_INPUTS.fields.flatMap((field) => (field.default === undefined ? [] : [[field.name, field.default]])));

// Records written before several outputs existed have no num_outputs: one image.
const recordSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  input: z
    .object({
      prompt: z.string(),
      width: z.number().int().min(1),
      height: z.number().int().min(1),
      num_inference_steps: z.number().int().min(1),
      num_outputs: z.number().int().min(1).max(MAX_OUTPUTS).default(1),
      seed: z.number().int().min(SEED_RANGE.minimum).max(SEED_RANGE.maximum),
    })
    .passthrough(),
  created_at: z.iso.datetime(),
  duration_ms: z.number().int().min(0),
  canceled_at: z.iso.datetime().nullable(),
});
type PredictionRecord = z.output<typeof recordSchema>;

export type LocalModelOptions = {
  /** The app's data folder; the model keeps its files under `<dataDir>/local-model/`. */
  dataDir: string;
  /**
   * How long a run takes from create to succeeded (0: done on the first get).
   * Each record keeps the duration it was created with, so changing this
   * between restarts never rewinds or skips a prediction already running.
   */
  durationMs: number;
  now?: () => number;
};

export function createLocalModel({ dataDir, durationMs, now = () => Date.now() }: LocalModelOptions): ImageModel {
  const root = path.join(dataDir, "local-model");
  const predictionsDir = path.join(root, "predictions");
  const outputsDir = path.join(root, "outputs");
  const inputsDir = path.join(root, "inputs");
  const inputFile = (value: unknown) => {
    const name = typeof value === "string" && value.startsWith(INPUT_PREFIX) ? value.slice(INPUT_PREFIX.length) : "";
    return INPUT_NAME.test(name) ? path.join(inputsDir, name) : null;
  };
  // One render per output at a time in this process; the cached file serves the rest.
  const rendering = new Map<string, Promise<void>>();
  const outputFile = (id: string, index: number) => path.join(outputsDir, outputName(id, index));

  async function load(id: string): Promise<PredictionRecord> {
    if (typeof id !== "string" || !ID_PATTERN.test(id)) throw notFound();
    let text: string;
    try {
      text = await readFile(path.join(predictionsDir, `${id}.json`), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw notFound();
      throw error;
    }
    const parsed = recordSchema.safeParse(JSON.parse(text));
    // A damaged record is our bug or a disk problem, not the caller's: let it surface as a 500.
    if (!parsed.success || parsed.data.id !== id) throw new Error(`Local prediction record ${id} is malformed.`);
    return parsed.data;
  }

  async function save(record: PredictionRecord): Promise<void> {
    await mkdir(predictionsDir, { recursive: true });
    await writeAtomically(path.join(predictionsDir, `${record.id}.json`), JSON.stringify(record));
  }

  async function ensureOutput(record: PredictionRecord, index: number): Promise<string> {
    const file = outputFile(record.id, index);
    if (await exists(file)) return file;
    let running = rendering.get(file);
    if (!running) {
      running = (async () => {
        const { prompt, width, height } = record.input;
        // Each image of a run is the next seed, as diffusers pipelines batch them.
        const seed = (record.input.seed + index) % (SEED_RANGE.maximum + 1);
        let pixels = renderPreview({ prompt, seed, width, height });
        const image = inputFile(record.input.image);
        if (image) {
          const strength = typeof record.input.prompt_strength === "number" ? record.input.prompt_strength : 0.8;
          pixels = await paintOver({ image, mask: inputFile(record.input.mask), pixels, width, height, strength });
        }
        const png = encodePng({ width, height, pixels });
        await mkdir(outputsDir, { recursive: true });
        await writeAtomically(file, png);
      })().finally(() => rendering.delete(file));
      rendering.set(file, running);
    }
    await running;
    return file;
  }

  return {
    isLocalPreview: true,

    async describe() {
      return { model: LOCAL_MODEL_ID, version: null, openapiSchema: LOCAL_MODEL_SCHEMA };
    },

    async uploadInputFile({ bytes }) {
      // Named by content: the same picture sent twice is one file, and a name
      // can never point outside the folder.
      const type = detectImageType(bytes.subarray(0, SIGNATURE_BYTES));
      if (!type) throw new AppError("invalid_input", "The local preview model takes PNG, JPEG or WebP images.");
      const name = `${createHash("sha256").update(bytes).digest("hex")}.${type.extension}`;
      const file = path.join(inputsDir, name);
      if (!(await exists(file))) {
        await mkdir(inputsDir, { recursive: true });
        await writeAtomically(file, bytes);
      }
      return `${INPUT_PREFIX}${name}`;
    },

    // There are no webhooks to send locally: the app's polling and reconcile
    // step see the result, which is also how Replicate runs without APP_URL.
    async create({ target, input }: { target: RunTarget; input: InputValues }): Promise<ModelPrediction> {
      if (target.kind !== "local") throw new AppError("not_found", "The local preview model runs only itself.");
      const checked = validateLocalInput(input);
      if (!checked.ok) throw new AppError("invalid_input", "These settings are not valid for the local preview model.", { fields: checked.fields });
      for (const name of IMAGE_INPUTS) {
        const file = inputFile(checked.input[name]);
        if (file && !(await exists(file))) {
          throw new AppError("invalid_input", "The local preview model does not have this input image.", { fields: { [name]: ["Choose the image again."] } });
        }
      }
      const resolved = { ...DEFAULTS, ...checked.input };
      const record: PredictionRecord = {
        id: newId(),
        // The seed is chosen here and stored, so any result can be reproduced from its input.
        input: recordSchema.shape.input.parse({ ...resolved, seed: checked.input.seed ?? randomInt(0, SEED_RANGE.maximum + 1) }),
        created_at: new Date(now()).toISOString(),
        duration_ms: Math.max(0, Math.floor(durationMs)),
        canceled_at: null,
      };
      await save(record);
      // Like Replicate, create always answers "starting", even when the run is instant.
      return shapeOf(record);
    },

    async get(id: string): Promise<ModelPrediction> {
      return describe(await load(id), now());
    },

    async cancel(id: string): Promise<ModelPrediction> {
      const record = await load(id);
      const current = describe(record, now());
      if (current.status !== "starting" && current.status !== "processing") return current;
      const canceled = { ...record, canceled_at: new Date(now()).toISOString() };
      await save(canceled);
      return describe(canceled, now());
    },

    async openOutput(prediction: ModelPrediction, index: number): Promise<OutputDownload> {
      // Only ever our own output for this very prediction, and only the stored
      // record decides what is rendered: nothing in `prediction` but its id is trusted.
      const url = Array.isArray(prediction.output) ? prediction.output[index] : index === 0 ? prediction.output : null;
      if (prediction.status !== "succeeded" || !ID_PATTERN.test(prediction.id) || url !== `${OUTPUT_PREFIX}${outputName(prediction.id, index)}`) {
        throw new AppError("upstream_error", "The local preview model can only open its own finished images.");
      }
      const record = await load(prediction.id);
      if (describe(record, now()).status !== "succeeded" || index >= record.input.num_outputs) {
        throw new AppError("upstream_error", "This local preview image is not ready.");
      }
      const file = await ensureOutput(record, index);
      const { size } = await stat(file);
      return {
        body: Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>,
        contentType: "image/png",
        contentLength: size,
      };
    },
  };
}

/**
 * img2img and inpainting, preview style: the rendered picture laid over the
 * given image (resized to the output's size). It keeps more of the image than a
 * diffusion model at the same prompt strength would, so the result visibly
 * starts from it; with a mask, black areas keep the image and white areas are
 * painted over, grey in between.
 */
async function paintOver({
  image,
  mask,
  pixels,
  width,
  height,
  strength,
}: {
  image: string;
  mask: string | null;
  pixels: Uint8Array;
  width: number;
  height: number;
  strength: number;
}): Promise<Uint8Array> {
  const { default: sharp } = await import("sharp");
  const base = await sharp(image, { failOn: "error" }).removeAlpha().resize(width, height, { fit: "cover" }).raw().toBuffer();
  const coverage = mask
    ? await sharp(mask, { failOn: "error" }).removeAlpha().greyscale().resize(width, height, { fit: "fill" }).extractChannel(0).raw().toBuffer()
    : null;
  const weight = 0.15 + 0.6 * Math.min(1, Math.max(0, strength));
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const painted = coverage ? (coverage[i] / 255) * Math.min(1, weight * 1.3) : weight;
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      out[k] = Math.round(base[k] + (pixels[k] - base[k]) * painted);
    }
  }
  return out;
}

type Timeline = { created: number; startDelay: number; duration: number; failAt: number };

function timelineOf(record: PredictionRecord): Timeline {
  const created = Date.parse(record.created_at);
  const duration = record.duration_ms;
  const startDelay = Math.min(duration * START_FRACTION, MAX_START_MS);
  const fails = record.input.prompt.toLowerCase().includes(FAIL_MARKER);
  return { created, duration, startDelay, failAt: fails ? startDelay + (duration - startDelay) / 2 : Infinity };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The prediction as Replicate would report it at `at` (ms since the epoch). */
function describe(record: PredictionRecord, at: number): ModelPrediction {
  const { created, duration, startDelay, failAt } = timelineOf(record);
  const idle = { ...shapeOf(record), status: "starting" as const };
  // Every state below is "the run as of `elapsed` ms", ended one way or another.
  const asOf = (elapsed: number) => ({
    ...idle,
    logs: logsAt(record, elapsed),
    started_at: elapsed >= startDelay ? iso(created + startDelay) : null,
  });

  if (record.canceled_at !== null) {
    return { ...asOf(Date.parse(record.canceled_at) - created), status: "canceled", completed_at: record.canceled_at };
  }
  const elapsed = at - created;
  if (elapsed >= failAt) {
    return { ...asOf(failAt), status: "failed", error: FAIL_MESSAGE, completed_at: iso(created + failAt) };
  }
  if (elapsed >= duration) {
    return {
      ...asOf(duration),
      status: "succeeded",
      output: Array.from({ length: record.input.num_outputs }, (_, index) => `${OUTPUT_PREFIX}${outputName(record.id, index)}`),
      completed_at: iso(created + duration),
    };
  }
  if (elapsed < startDelay) return idle;
  return { ...asOf(elapsed), status: "processing" };
}

/** A fresh prediction in Replicate's shape: queued, nothing logged or produced yet. */
function shapeOf(record: PredictionRecord): ModelPrediction {
  return {
    id: record.id,
    model: LOCAL_MODEL_ID,
    version: null,
    input: record.input,
    logs: "",
    output: null,
    error: null,
    status: "starting",
    created_at: record.created_at,
    started_at: null,
    completed_at: null,
  };
}

/** What a diffusers pipeline would have printed `elapsed` ms into the run: one tqdm line per finished step. */
function logsAt(record: PredictionRecord, elapsed: number): string {
  const { duration, startDelay } = timelineOf(record);
  if (elapsed < startDelay) return "";
  const total = record.input.num_inference_steps;
  const stepMs = (duration - startDelay) / total;
  const done = stepMs > 0 ? Math.min(total, Math.floor((elapsed - startDelay) / stepMs)) : total;
  const lines = [`Using seed: ${record.input.seed}`];
  for (let n = 0; n <= done; n++) lines.push(formatProgressLine({ n, total, elapsedMs: n * stepMs }));
  return `${lines.join("\n")}\n`;
}

/** The first output keeps the name it had before runs made several. */
function outputName(id: string, index: number): string {
  return index === 0 ? `${id}.png` : `${id}-${index}.png`;
}

function newId(): string {
  let id = "";
  while (id.length < 26) {
    for (const byte of randomBytes(32)) {
      // 252 = 7 * 36: rejecting the top four values keeps every character equally likely.
      if (byte < 252 && id.length < 26) id += ID_ALPHABET[byte % 36];
    }
  }
  return id;
}

// Readers never see a half-written file: write beside it, then rename over it.
async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function notFound(): AppError {
  return new AppError("not_found", "Prediction not found.");
}
