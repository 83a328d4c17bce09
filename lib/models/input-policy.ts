/**
 * The app's own rules on top of any model's schema: what is never offered to
 * people, and the limits every text and seed gets whatever the model declares.
 * Both the server's validator (input-validator.ts) and the browser's check
 * (input-check.ts) read them from here; tests/unit/input-agreement.test.ts
 * fails if the two ever disagree.
 */

/**
 * Inputs never offered to people, and refused by the server if sent anyway:
 * switching off the safety checker, and inputs that make the model fetch
 * weights from an arbitrary URL. `format: password` inputs (API keys for other
 * services) are hidden too; see isHiddenInput.
 */
export const HIDDEN_INPUTS: readonly string[] = [
  "disable_safety_checker",
  "replicate_weights",
  "lora_weights",
  "extra_lora",
];

export function isHiddenInput(name: string, format: string | undefined): boolean {
  return HIDDEN_INPUTS.includes(name) || format === "password";
}

/** Longer prompts gain nothing (CLIP reads 77 tokens, T5 512) and only bloat rows and logs. */
export const MAX_TEXT_LENGTH = 2000;

// Control characters other than tab and newline have no place in a prompt and
// are a classic way to smuggle confusing text into logs.
export const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// Half of a surrogate pair is not text: Postgres refuses it in jsonb, so it
// would fail only after the model had started (and billed) the prediction.
export const LONE_SURROGATE = /\p{Cs}/u;

/** The input every model is driven by: always required, and it must say something. */
export const PROMPT_INPUT = "prompt";
export const SEED_INPUT = "seed";

/**
 * Seeds are often declared as a bare integer; a seed is recorded so an image
 * can be made again, and torch seeds are unsigned, so the range every model
 * accepts is what the app allows.
 */
export const SEED_RANGE = { minimum: 0, maximum: 2 ** 32 - 1 } as const;

/**
 * Image sides declared without bounds (stability-ai/sdxl's width and height)
 * get these: a person's typo of 10240 would otherwise be a long, paid run that
 * ends out of memory. A model's own bounds narrow them further, never widen.
 */
export const SIZE_INPUTS: readonly string[] = ["width", "height"];
export const SIZE_RANGE = { minimum: 256, maximum: 2048 } as const;

/** A model's own declared range, narrowed by the app's range for that input (if any). */
export function narrowRange(
  declared: { minimum?: number; maximum?: number },
  app: { minimum: number; maximum: number },
): { minimum: number; maximum: number } {
  return {
    minimum: Math.max(declared.minimum ?? app.minimum, app.minimum),
    maximum: Math.min(declared.maximum ?? app.maximum, app.maximum),
  };
}
