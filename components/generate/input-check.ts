import type { FieldErrors } from "@/lib/errors";
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
import type { GenerationInput, GenerationInputDraft } from "@/lib/predictions/input-schema";

/**
 * The browser's copy of generationInputSchema's rules, for instant feedback on submit.
 * It is hand-written rather than the schema itself because zod costs ~32 kB gzip in the
 * browser bundle; the server validates every request again with the schema and stays
 * the authority. Same limits (input-limits.ts), same messages, and the first message
 * per field is the one zod reports first; tests/unit/form-values.test.ts fails if the
 * two ever disagree on an input the form can produce.
 */
export function checkGenerationInput(
  draft: GenerationInputDraft,
): { ok: true; input: GenerationInput } | { ok: false; fields: FieldErrors } {
  const fields: FieldErrors = {};
  const flag = (field: keyof GenerationInput, message: string | undefined) => {
    if (message) fields[field] = [message];
  };

  const prompt = draft.prompt.trim();
  flag("prompt", textProblem("Prompt", prompt) ?? (prompt === "" ? "Describe the image you want." : undefined));
  const negativePrompt = draft.negative_prompt?.trim();
  if (negativePrompt !== undefined) flag("negative_prompt", textProblem("Negative prompt", negativePrompt));

  const input: GenerationInput = {
    prompt,
    ...(negativePrompt === undefined ? {} : { negative_prompt: negativePrompt }),
    width: draft.width ?? INPUT_DEFAULTS.width,
    height: draft.height ?? INPUT_DEFAULTS.height,
    num_inference_steps: draft.num_inference_steps ?? INPUT_DEFAULTS.num_inference_steps,
    guidance_scale: draft.guidance_scale ?? INPUT_DEFAULTS.guidance_scale,
    ...(draft.seed === undefined ? {} : { seed: draft.seed }),
  };
  flag("width", numberProblem(input.width, RULES.width));
  flag("height", numberProblem(input.height, RULES.height));
  flag("num_inference_steps", numberProblem(input.num_inference_steps, RULES.steps));
  flag("guidance_scale", numberProblem(input.guidance_scale, RULES.guidance));
  if (input.seed !== undefined) flag("seed", numberProblem(input.seed, RULES.seed));

  return Object.keys(fields).length === 0 ? { ok: true, input } : { ok: false, fields };
}

/** Checked after trimming, as the schema's `.trim()` does. */
function textProblem(label: string, value: string): string | undefined {
  if (value.length > MAX_PROMPT_LENGTH) return `${label} must be at most ${MAX_PROMPT_LENGTH} characters.`;
  if (CONTROL_CHARS.test(value)) return `${label} must not contain control characters.`;
  if (LONE_SURROGATE.test(value)) return `${label} contains a broken character.`;
  return undefined;
}

type NumberRule = { label: string; whole: boolean; min: number; max: number; multipleOf?: number; tooSmall?: string };

const RULES = {
  width: { label: "Width", whole: true, min: MIN_SIDE, max: MAX_SIDE, multipleOf: SIZE_STEP },
  height: { label: "Height", whole: true, min: MIN_SIDE, max: MAX_SIDE, multipleOf: SIZE_STEP },
  steps: { label: "Steps", whole: true, min: MIN_STEPS, max: MAX_STEPS },
  guidance: { label: "Guidance", whole: false, min: MIN_GUIDANCE, max: MAX_GUIDANCE },
  seed: { label: "Seed", whole: true, min: MIN_SEED, max: MAX_SEED, tooSmall: `Seed must be ${MIN_SEED} or more.` },
} satisfies Record<string, NumberRule>;

function numberProblem(value: number, { label, whole, min, max, multipleOf, tooSmall }: NumberRule): string | undefined {
  // zod's number() refuses NaN and ±Infinity as not numbers; its int() refuses
  // fractions and integers beyond 2^53, both with the whole-number message.
  if (!Number.isFinite(value)) return `${label} must be a number.`;
  if (whole && !Number.isSafeInteger(value)) return `${label} must be a whole number.`;
  if (value < min) return tooSmall ?? `${label} must be at least ${min}.`;
  if (value > max) return `${label} must be at most ${max}.`;
  if (multipleOf !== undefined && value % multipleOf !== 0) return `${label} must be a multiple of ${multipleOf}.`;
  return undefined;
}
