import { describe, expect, it } from "vitest";
import { readModelInputs } from "@/lib/models/cog-schema";
import { checkInput } from "@/lib/models/input-check";
import { defaultInput, type InputField } from "@/lib/models/input-fields";
import { createInputValidator } from "@/lib/models/input-validator";
import { LOCAL_MODEL_SCHEMA } from "@/lib/models/local-model-schema";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { validateLikeReplicate } from "@/tests/support/replicate-rules.mjs";

/**
 * One source of truth: the browser's check (input-check.ts, drawn from the
 * fields) and the server's (Ajv on the schema itself) must agree on every
 * input, for every model, with the same words. Each case below is a way a
 * value can go wrong; a rule added on one side only makes this fail.
 */

const schemas: Array<[string, unknown]> = [
  ...Object.values(MODEL_FIXTURES).map((fixture) => [fixture.ref, fixture.model.latest_version!.openapi_schema] as [string, unknown]),
  ["local-preview", LOCAL_MODEL_SCHEMA],
];

const PROMPT = "a lighthouse on a basalt cliff at dusk";

/** Inputs that probe one field each: at and past its bounds, wrong types, odd text. */
function probes(field: InputField): unknown[] {
  const values: unknown[] = [null, "", [], {}, true];
  if (field.kind === "integer" || field.kind === "number") {
    for (const bound of [field.minimum, field.maximum]) if (bound !== undefined) values.push(bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5);
    values.push(0, -1, 1.5, "12", Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 32 - 1, Infinity, -Infinity, Number.NaN);
  }
  if (field.kind === "enum") values.push(...(field.options ?? []), "not-an-option", 1, `${field.options?.[0]} `);
  if (field.kind === "boolean") values.push(false, "true", 0);
  // Only `input:<uuid>` references: never a URL, however plausible.
  if (field.kind === "image") {
    values.push(
      "input:0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d",
      "input:0B7C4A52-3F1E-4C8E-9D6A-2B1F0E9C8A7D",
      "https://replicate.delivery/pbxt/abc/input.png",
      "https://api.replicate.com/v1/files/abc",
      "data:image/png;base64,iVBORw0KGgo=",
      "0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d",
      "input:../../etc/passwd",
      " input:0b7c4a52-3f1e-4c8e-9d6a-2b1f0e9c8a7d",
    );
  }
  if (field.kind === "string") {
    values.push("fine", "   ", "tab\tand\nnewline", "bell\u0007", "half \ud83d pair", "😀".repeat(2000), "x".repeat(2001), "x".repeat(2000), 42);
  }
  return values;
}

describe.each(schemas)("the browser and the server agree on %s", (_ref, schema) => {
  const inputs = readModelInputs(schema);
  const validate = createInputValidator(schema, inputs);
  const hidden = inputs.omitted.map((omitted) => omitted.name);
  const base = { ...defaultInput(inputs.fields), prompt: PROMPT };
  const agree = (values: Record<string, unknown>) => {
    const server = validate(values);
    const browser = checkInput(inputs.fields, values, hidden);
    expect({ values, verdict: browser }).toEqual({ values, verdict: server });
    return server;
  };

  it("accepts the form's defaults, and Replicate would too", () => {
    expect(agree(base).ok).toBe(true);
    expect(validateLikeReplicate(schema, base)).toMatchObject({ ok: true });
  });

  it("words every out-of-range, wrongly typed or malformed value the same way", () => {
    let refused = 0;
    for (const field of inputs.fields) {
      for (const value of probes(field)) {
        if (!agree({ ...base, [field.name]: value }).ok) refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(inputs.fields.length);
  });

  it("accepts whatever Replicate accepts at the bounds, and refuses undeclared and hidden inputs Replicate would ignore", () => {
    for (const field of inputs.fields) {
      for (const value of [field.minimum, field.maximum, ...(field.options ?? [])]) {
        if (value === undefined) continue;
        const values = { ...base, [field.name]: value };
        if (validateLikeReplicate(schema, values).ok) expect(agree(values).ok, `${field.name}=${value}`).toBe(true);
      }
    }
    expect(agree({ ...base, style: "oil" })).toEqual({ ok: false, fields: { style: ["Unknown field: style."] } });
    for (const name of hidden) {
      expect(agree({ ...base, [name]: true })).toEqual({ ok: false, fields: { [name]: [`${name} cannot be set in this app.`] } });
    }
  });

  it("asks for what is required", () => {
    const values: Record<string, unknown> = { ...base };
    for (const field of inputs.fields.filter((f) => f.required)) delete values[field.name];
    const verdict = agree(values);
    const required = inputs.fields.filter((f) => f.required).map((f) => f.name);
    expect(verdict.ok).toBe(required.length === 0);
  });
});

describe("what the server says", () => {
  const schema = MODEL_FIXTURES["black-forest-labs/flux-schnell"].model.latest_version!.openapi_schema;
  const inputs = readModelInputs(schema);
  const validate = createInputValidator(schema, inputs);

  it("names each field's problem in words, one message per field", () => {
    expect(
      validate({ prompt: " ", num_inference_steps: 30, aspect_ratio: "7:3", go_fast: "yes", seed: -4, disable_safety_checker: true }),
    ).toEqual({
      ok: false,
      fields: {
        prompt: ["Describe the image you want."],
        num_inference_steps: ["Num Inference Steps must be at most 4."],
        aspect_ratio: ["Aspect ratio must be one of: 1:1, 16:9, 21:9, 3:2, 2:3, 4:5, 5:4, 3:4, 4:3, 9:16, 9:21."],
        go_fast: ["Go Fast must be on or off."],
        seed: ["Seed must be at least 0."],
        disable_safety_checker: ["disable_safety_checker cannot be set in this app."],
      },
    });
    expect(validate({})).toEqual({ ok: false, fields: { prompt: ["Describe the image you want."] } });
  });
});
