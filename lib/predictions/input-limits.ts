/**
 * What a person may ask for, as plain values: the server's zod schema
 * (input-schema.ts) is built from these, and the browser reads them without
 * pulling zod into its bundle. The ranges are SDXL's own (Replicate's
 * stability-ai/sdxl schema) narrowed to what makes sense in this app.
 */
export const SIZE_STEP = 64;
export const MIN_SIDE = 256;
export const MAX_SIDE = 1536;
export const MAX_PROMPT_LENGTH = 2000;
export const MIN_STEPS = 1;
export const MAX_STEPS = 100;
export const MIN_GUIDANCE = 1;
export const MAX_GUIDANCE = 20;
export const MIN_SEED = 0;
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
export const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// Half of a surrogate pair is not text: Postgres refuses it in jsonb, so it
// would fail only after the model had started (and billed) the prediction.
export const LONE_SURROGATE = /\p{Cs}/u;
