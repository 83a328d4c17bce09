import { z } from "zod";

/**
 * What a person may ask for. The ranges are SDXL's own (Replicate's
 * stability-ai/sdxl schema) narrowed to what makes sense in this app, and they are
 * checked here, before anything is sent to a model.
 */
export const SIZE_STEP = 64;
export const MIN_SIDE = 256;
export const MAX_SIDE = 1536;
export const MAX_PROMPT_LENGTH = 2000;
export const MAX_SEED = 2 ** 32 - 1;

export const SIZE_PRESETS = [
  { label: "Square", width: 1024, height: 1024 },
  { label: "Landscape", width: 1216, height: 832 },
  { label: "Portrait", width: 832, height: 1216 },
  { label: "Wide", width: 1344, height: 768 },
  { label: "Small square", width: 512, height: 512 },
] as const;

export const INPUT_DEFAULTS = {
  width: 1024,
  height: 1024,
  num_inference_steps: 30,
  guidance_scale: 7.5,
} as const;

// Control characters other than tab and newline have no place in a prompt and
// are a classic way to smuggle confusing text into logs.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// Half of a surrogate pair is not text: Postgres refuses it in jsonb, so it
// would fail only after the model had started (and billed) the prediction.
const LONE_SURROGATE = /\p{Cs}/u;

function unknownFieldMessage(issue: z.core.$ZodRawIssue) {
  return issue.code === "unrecognized_keys" ? `Unknown field: ${issue.keys.join(", ")}.` : undefined;
}

const text = (label: string) =>
  z
    .string({ error: `${label} must be text.` })
    .trim()
    .max(MAX_PROMPT_LENGTH, `${label} must be at most ${MAX_PROMPT_LENGTH} characters.`)
    .refine((value) => !CONTROL_CHARS.test(value), `${label} must not contain control characters.`)
    .refine((value) => !LONE_SURROGATE.test(value), `${label} contains a broken character.`);

const side = (label: string) =>
  z
    .number({ error: `${label} must be a number.` })
    .int(`${label} must be a whole number.`)
    .min(MIN_SIDE, `${label} must be at least ${MIN_SIDE}.`)
    .max(MAX_SIDE, `${label} must be at most ${MAX_SIDE}.`)
    .refine((value) => value % SIZE_STEP === 0, `${label} must be a multiple of ${SIZE_STEP}.`);

export const generationInputSchema = z.strictObject(
  {
    prompt: text("Prompt").pipe(z.string().min(1, "Describe the image you want.")),
    negative_prompt: text("Negative prompt").optional(),
    width: side("Width").default(INPUT_DEFAULTS.width),
    height: side("Height").default(INPUT_DEFAULTS.height),
    num_inference_steps: z
      .number({ error: "Steps must be a number." })
      .int("Steps must be a whole number.")
      .min(1, "Steps must be at least 1.")
      .max(100, "Steps must be at most 100.")
      .default(INPUT_DEFAULTS.num_inference_steps),
    guidance_scale: z
      .number({ error: "Guidance must be a number." })
      .min(1, "Guidance must be at least 1.")
      .max(20, "Guidance must be at most 20.")
      .default(INPUT_DEFAULTS.guidance_scale),
    seed: z
      .number({ error: "Seed must be a number." })
      .int("Seed must be a whole number.")
      .min(0, "Seed must be 0 or more.")
      .max(MAX_SEED, `Seed must be at most ${MAX_SEED}.`)
      .optional(),
  },
  { error: unknownFieldMessage },
);

export const createPredictionBodySchema = z.strictObject(
  { input: generationInputSchema },
  { error: unknownFieldMessage },
);

export type GenerationInput = z.output<typeof generationInputSchema>;
export type GenerationInputDraft = z.input<typeof generationInputSchema>;
