import { describe, expect, it } from "vitest";
import {
  initialFormValues,
  toFormErrors,
  toGenerationInput,
  toGenerationInputDraft,
  type FormField,
  type FormValues,
} from "@/components/generate/form-values";
import { toFieldErrors } from "@/lib/http/read-json-body";
import {
  MAX_GUIDANCE,
  MAX_PROMPT_LENGTH,
  MAX_SEED,
  MAX_SIDE,
  MAX_STEPS,
  MIN_GUIDANCE,
  MIN_SEED,
  MIN_SIDE,
  MIN_STEPS,
  SIZE_PRESETS,
  SIZE_STEP,
} from "@/lib/predictions/input-limits";
import { generationInputSchema } from "@/lib/predictions/input-schema";

/**
 * The form checks its values with a zod-free copy of the server's rules (so zod stays
 * out of the browser). The server's schema is the authority: for every input here the
 * form must accept exactly what the schema accepts, produce the same input, and show
 * the same message on the same field as it would after the server's 422.
 */
function bySchema(values: FormValues): ReturnType<typeof toGenerationInput> {
  const parsed = generationInputSchema.safeParse(toGenerationInputDraft(values));
  return parsed.success ? { ok: true, input: parsed.data } : { ok: false, errors: toFormErrors(toFieldErrors(parsed.error)).errors };
}

const VALID = initialFormValues({ prompt: "a red fox asleep in fresh snow" });
const form = (changes: Partial<FormValues>): FormValues => ({ ...VALID, ...changes });
const flagged = (result: ReturnType<typeof toGenerationInput>) => (result.ok ? [] : Object.keys(result.errors).sort());

// Each case says which fields the schema flags, so the table cannot pass by both sides accepting everything.
const CASES: [string, Partial<FormValues>, FormField[]][] = [
  ["the defaults", {}, []],
  ["every setting filled in", { negativePrompt: "blurry", size: "1216x832", steps: "50", guidance: "12.5", seed: "42" }, []],
  ["a blank prompt", { prompt: "" }, ["prompt"]],
  ["a whitespace-only prompt", { prompt: " \n\t " }, ["prompt"]],
  ["a prompt of only a vertical tab (trimmed away)", { prompt: "\u000b" }, ["prompt"]],
  ["a prompt at the length limit", { prompt: "x".repeat(MAX_PROMPT_LENGTH) }, []],
  ["a prompt at the limit once trimmed", { prompt: `  ${"x".repeat(MAX_PROMPT_LENGTH)}  ` }, []],
  ["a prompt just past the length limit", { prompt: "x".repeat(MAX_PROMPT_LENGTH + 1) }, ["prompt"]],
  ["a too-long prompt with a control character", { prompt: `${"x".repeat(MAX_PROMPT_LENGTH + 1)}\u0007` }, ["prompt"]],
  ["a prompt with newlines and tabs", { prompt: "line one\nline two\tend" }, []],
  ["a prompt with a bell", { prompt: "bell\u0007" }, ["prompt"]],
  ["a prompt with DEL", { prompt: "a\u007fb" }, ["prompt"]],
  ["a prompt with an inner vertical tab", { prompt: "a\u000bb" }, ["prompt"]],
  ["a prompt with half a surrogate pair", { prompt: "fox \ud83e" }, ["prompt"]],
  ["a prompt with an emoji", { prompt: "fox 🦊" }, []],
  ["a blank negative prompt", { negativePrompt: "   " }, []],
  ["a padded negative prompt", { negativePrompt: "  blurry  " }, []],
  ["a negative prompt past the limit", { negativePrompt: "x".repeat(MAX_PROMPT_LENGTH + 1) }, ["negativePrompt"]],
  ["a negative prompt with a NUL", { negativePrompt: "a\u0000" }, ["negativePrompt"]],
  ...SIZE_PRESETS.map((preset): [string, Partial<FormValues>, FormField[]] => [`the ${preset.label} preset`, { size: `${preset.width}x${preset.height}` }, []]),
  ["the smallest size", { size: `${MIN_SIDE}x${MIN_SIDE}` }, []],
  ["the largest size", { size: `${MAX_SIDE}x${MAX_SIDE}` }, []],
  ["a width one step too small", { size: `${MIN_SIDE - SIZE_STEP}x1024` }, ["size"]],
  ["a height one step too large", { size: `1024x${MAX_SIDE + SIZE_STEP}` }, ["size"]],
  ["a width off the grid", { size: `${MIN_SIDE + 1}x1024` }, ["size"]],
  ["a height off the grid", { size: `1024x${MAX_SIDE - 1}` }, ["size"]],
  ["both sides wrong (the width's message wins)", { size: `100x${MAX_SIDE + 1}` }, ["size"]],
  ["a fractional width", { size: "1024.5x1024" }, ["size"]],
  ["a non-numeric width", { size: "widex1024" }, ["size"]],
  ["a size with no height", { size: "1024x" }, ["size"]],
  ["an empty size", { size: "" }, ["size"]],
  ["blank steps (the default)", { steps: "" }, []],
  ["whitespace steps (the default)", { steps: "  " }, []],
  ["the fewest steps", { steps: String(MIN_STEPS) }, []],
  ["the most steps", { steps: String(MAX_STEPS) }, []],
  ["one step too few", { steps: String(MIN_STEPS - 1) }, ["steps"]],
  ["one step too many", { steps: String(MAX_STEPS + 1) }, ["steps"]],
  ["fractional steps", { steps: "2.5" }, ["steps"]],
  ["a half-typed decimal", { steps: "7." }, []],
  ["steps in exponent notation", { steps: "1e2" }, []],
  ["non-numeric steps", { steps: "many" }, ["steps"]],
  ["infinite steps", { steps: "Infinity" }, ["steps"]],
  ["steps that overflow to infinity", { steps: "1e400" }, ["steps"]],
  ["blank guidance (the default)", { guidance: "" }, []],
  ["the lowest guidance", { guidance: String(MIN_GUIDANCE) }, []],
  ["the highest guidance", { guidance: String(MAX_GUIDANCE) }, []],
  ["fractional guidance", { guidance: "7.25" }, []],
  ["guidance just under the minimum", { guidance: String(MIN_GUIDANCE - 0.01) }, ["guidance"]],
  ["guidance just over the maximum", { guidance: String(MAX_GUIDANCE + 0.01) }, ["guidance"]],
  ["non-numeric guidance", { guidance: "strong" }, ["guidance"]],
  ["NaN guidance", { guidance: "NaN" }, ["guidance"]],
  ["blank seed (random)", { seed: "" }, []],
  ["the smallest seed", { seed: String(MIN_SEED) }, []],
  ["negative zero as a seed", { seed: "-0" }, []],
  ["the largest seed", { seed: String(MAX_SEED) }, []],
  ["a padded seed", { seed: " 42 " }, []],
  ["a seed one too small", { seed: String(MIN_SEED - 1) }, ["seed"]],
  ["a seed one too large", { seed: String(MAX_SEED + 1) }, ["seed"]],
  ["a fractional seed", { seed: "1.5" }, ["seed"]],
  ["a seed past 2^53", { seed: "1e20" }, ["seed"]],
  ["a hugely negative seed", { seed: "-1e20" }, ["seed"]],
  ["a non-numeric seed", { seed: "lucky" }, ["seed"]],
  ["several fields wrong at once", { prompt: "", size: "1000x1000", steps: "0", guidance: "x", seed: "-1" }, ["guidance", "prompt", "seed", "size", "steps"]],
];

describe("form values check", () => {
  it.each(CASES)("agrees with the server's schema on %s", (_name, changes, fields) => {
    const values = form(changes);
    const expected = bySchema(values);
    expect(flagged(expected)).toEqual([...fields].sort());
    expect(toGenerationInput(values)).toEqual(expected);
  });

  it("agrees with the server's schema around every numeric bound", () => {
    const bounds = [MIN_SIDE, MAX_SIDE, MIN_STEPS, MAX_STEPS, MIN_GUIDANCE, MAX_GUIDANCE, MIN_SEED, MAX_SEED];
    const near = bounds.flatMap((bound) => [-SIZE_STEP, -1, -0.5, 0, 0.5, 1, SIZE_STEP].map((offset) => String(bound + offset)));
    const odd = ["", " ", "-0", ".5", "7.", "0x40", "0b11", "1e3", "1_000", "Infinity", "-Infinity", "NaN", "abc", String(2 ** 53 + 2)];
    const texts = [...near, ...odd];
    const variants: FormValues[] = [
      ...texts.flatMap((text) => [form({ steps: text }), form({ guidance: text }), form({ seed: text })]),
      ...texts.flatMap((text) => [form({ size: `${text}x1024` }), form({ size: `1024x${text}` })]),
    ];
    for (const values of variants) expect(toGenerationInput(values), JSON.stringify(values)).toEqual(bySchema(values));
  });

  it("agrees with the server's schema on every character the prompt might hold", () => {
    const codes = [...Array(0x3100).keys(), 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfeff, 0xfffd, 0xffff];
    for (const code of codes) {
      const char = String.fromCharCode(code);
      for (const prompt of [char, `a${char}b`]) {
        for (const values of [form({ prompt }), form({ negativePrompt: prompt })]) {
          expect(toGenerationInput(values), `U+${code.toString(16)} in ${JSON.stringify(values)}`).toEqual(bySchema(values));
        }
      }
    }
  });

  it("sends the trimmed prompt with the defaults filled in, and no seed when left blank", () => {
    expect(toGenerationInput(form({ prompt: "  a red fox  ", negativePrompt: " " }))).toEqual({
      ok: true,
      input: { prompt: "a red fox", width: 1024, height: 1024, num_inference_steps: 30, guidance_scale: 7.5 },
    });
  });

  it("shows the schema's message under the form's field", () => {
    expect(toGenerationInput(form({ prompt: " ", size: `${MIN_SIDE - SIZE_STEP}x1024`, seed: "1.5" }))).toEqual({
      ok: false,
      errors: {
        prompt: "Describe the image you want.",
        size: `Width must be at least ${MIN_SIDE}.`,
        seed: "Seed must be a whole number.",
      },
    });
  });
});
