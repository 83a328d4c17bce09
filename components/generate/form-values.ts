import { checkGenerationInput } from "@/components/generate/input-check";
import type { FieldErrors } from "@/lib/errors";
import { INPUT_DEFAULTS, SIZE_PRESETS } from "@/lib/predictions/input-limits";
import type { GenerationInput, GenerationInputDraft } from "@/lib/predictions/input-schema";

/**
 * The form keeps what the person typed as strings: a half-typed "7." or an empty
 * seed must survive re-renders untouched. Conversion to numbers happens once, on submit.
 */
export type FormValues = {
  prompt: string;
  negativePrompt: string;
  /** "<width>x<height>" */
  size: string;
  steps: string;
  guidance: string;
  seed: string;
};

/** The form's own field names; server field names map onto these. */
export type FormField = keyof FormValues;
export type FormErrors = Partial<Record<FormField, string>>;

export const FIELD_LABELS: Record<FormField, string> = {
  prompt: "Prompt",
  negativePrompt: "Negative prompt",
  size: "Size",
  steps: "Steps",
  guidance: "Guidance",
  seed: "Seed",
};

const SERVER_FIELDS: Record<string, FormField> = {
  prompt: "prompt",
  negative_prompt: "negativePrompt",
  width: "size",
  height: "size",
  num_inference_steps: "steps",
  guidance_scale: "guidance",
  seed: "seed",
};

export const ADVANCED_FIELDS: readonly FormField[] = ["negativePrompt", "size", "steps", "guidance", "seed"];

export function sizeValue(width: number, height: number): string {
  return `${width}x${height}`;
}

export function parseSize(size: string): { width: number; height: number } {
  const [width, height] = size.split("x").map(Number);
  return { width, height };
}

export function isPresetSize(size: string): boolean {
  return SIZE_PRESETS.some((preset) => sizeValue(preset.width, preset.height) === size);
}

export function initialFormValues(initial: Partial<GenerationInput> = {}): FormValues {
  return {
    prompt: initial.prompt ?? "",
    negativePrompt: initial.negative_prompt ?? "",
    size: sizeValue(initial.width ?? INPUT_DEFAULTS.width, initial.height ?? INPUT_DEFAULTS.height),
    steps: String(initial.num_inference_steps ?? INPUT_DEFAULTS.num_inference_steps),
    guidance: String(initial.guidance_scale ?? INPUT_DEFAULTS.guidance_scale),
    seed: initial.seed === undefined ? "" : String(initial.seed),
  };
}

/** Blank means "use the default" (or, for the seed, "random"); anything else must parse. */
function optionalNumber(value: string): number | undefined {
  return value.trim() === "" ? undefined : Number(value);
}

/** What the form sends, before any checking: the shape the server's schema parses. */
export function toGenerationInputDraft(values: FormValues): GenerationInputDraft {
  const { width, height } = parseSize(values.size);
  return {
    prompt: values.prompt,
    ...(values.negativePrompt.trim() ? { negative_prompt: values.negativePrompt } : {}),
    width,
    height,
    num_inference_steps: optionalNumber(values.steps),
    guidance_scale: optionalNumber(values.guidance),
    seed: optionalNumber(values.seed),
  };
}

/**
 * Checks the values before anything is sent, with a hand-written copy of the server's
 * rules (input-check.ts) rather than the schema itself: importing the schema would put
 * zod, ~32 kB gzip, in the browser bundle. The server validates again and stays the
 * authority; this only saves a round trip.
 */
export function toGenerationInput(
  values: FormValues,
): { ok: true; input: GenerationInput } | { ok: false; errors: FormErrors } {
  const checked = checkGenerationInput(toGenerationInputDraft(values));
  return checked.ok ? checked : { ok: false, errors: toFormErrors(checked.fields).errors };
}

/**
 * Maps the server's field errors (keyed by input name) onto the form's fields; messages
 * for fields the form does not show are returned separately so they are never lost.
 */
export function toFormErrors(fields: FieldErrors): { errors: FormErrors; other: string[] } {
  const errors: FormErrors = {};
  const other: string[] = [];
  for (const [key, messages] of Object.entries(fields)) {
    const field = SERVER_FIELDS[key];
    const message = messages[0];
    if (!message) continue;
    if (field) errors[field] ??= message;
    else other.push(message);
  }
  return { errors, other };
}
