import { z } from "zod";
import {
  CONTROL_CHARS,
  INPUT_DEFAULTS,
  LONE_SURROGATE,
  MAX_GUIDANCE,
  MAX_PROMPT_LENGTH,
  MAX_SEED,
  MAX_SIDE,
  MAX_STEPS,
  MIN_GUIDANCE,
  MIN_SEED,
  MIN_SIDE,
  MIN_STEPS,
  SIZE_STEP,
} from "@/lib/predictions/input-limits";

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

/**
 * What a person may ask for, checked here before anything is sent to a model. This
 * schema is the authority: the browser runs a zod-free copy of the same rules
 * (components/generate/input-check.ts) for instant feedback, and
 * tests/unit/form-values.test.ts keeps the two in agreement: a new rule here needs
 * the same rule there and a row in that test's table. The limits themselves live in
 * input-limits.ts so the browser can read them without zod.
 */
export const generationInputSchema = z.strictObject(
  {
    prompt: text("Prompt").pipe(z.string().min(1, "Describe the image you want.")),
    negative_prompt: text("Negative prompt").optional(),
    width: side("Width").default(INPUT_DEFAULTS.width),
    height: side("Height").default(INPUT_DEFAULTS.height),
    num_inference_steps: z
      .number({ error: "Steps must be a number." })
      .int("Steps must be a whole number.")
      .min(MIN_STEPS, `Steps must be at least ${MIN_STEPS}.`)
      .max(MAX_STEPS, `Steps must be at most ${MAX_STEPS}.`)
      .default(INPUT_DEFAULTS.num_inference_steps),
    guidance_scale: z
      .number({ error: "Guidance must be a number." })
      .min(MIN_GUIDANCE, `Guidance must be at least ${MIN_GUIDANCE}.`)
      .max(MAX_GUIDANCE, `Guidance must be at most ${MAX_GUIDANCE}.`)
      .default(INPUT_DEFAULTS.guidance_scale),
    seed: z
      .number({ error: "Seed must be a number." })
      .int("Seed must be a whole number.")
      .min(MIN_SEED, `Seed must be ${MIN_SEED} or more.`)
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
