import "server-only";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type { FieldErrors } from "@/lib/errors";
import { INPUT_REF_PATTERN } from "@/lib/inputs/input-ref";
import { inputSchemaOf, type ModelInputs } from "@/lib/models/cog-schema";
import { PROBLEM_PRIORITY, problemMessage, valueProblem, type InputProblem } from "@/lib/models/input-check";
import type { InputValues } from "@/lib/models/input-fields";
import { CONTROL_CHARS, LONE_SURROGATE, PROMPT_INPUT } from "@/lib/models/input-policy";

/**
 * The server's check of an input against the model version's own schema, with
 * Ajv: the model's rules come straight from `components.schemas.Input` (its
 * $ref enums resolved in place), and the app's narrower rules (nothing
 * undeclared or hidden, text limits, the seed range) are a second schema drawn
 * from the same fields the form shows. Both must pass. Problems are worded by
 * input-check.ts's problemMessage, so the browser and the server say the same.
 */

export type InputValidation = { ok: true; input: InputValues } | { ok: false; fields: FieldErrors };
export type InputValidator = (values: Record<string, unknown>) => InputValidation;

const ajv = new Ajv({
  allErrors: true,
  // Cog schemas carry x-order, nullable and OpenAPI's components: keywords Ajv does not know.
  strict: false,
  // `format: uri` is replaced by the app's own pattern for image inputs (see
  // createInputValidator); `password` inputs are left out altogether.
  validateFormats: false,
});

ajv.addKeyword({
  keyword: "x-app-text",
  type: "string",
  errors: true,
  validate: function appText(this: unknown, isPrompt: boolean, value: string) {
    const kind = CONTROL_CHARS.test(value)
      ? "control"
      : LONE_SURROGATE.test(value)
        ? "surrogate"
        : isPrompt && value.trim() === ""
          ? "blank"
          : null;
    if (!kind) return true;
    (appText as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: "x-app-text", params: { kind } }];
    return false;
  },
});

// JSON has no Infinity, but JSON.parse("1e309") makes one, and Ajv counts it an integer.
ajv.addKeyword({ keyword: "x-app-finite", type: "number", errors: false, validate: (_: boolean, value: number) => Number.isFinite(value) });

/**
 * `filePattern` is what an image input's value must match: by default an
 * `input:<uuid>` reference (what the browser sends and predictions store). The
 * local model validates the values it is finally handed, its own file names,
 * with the same code and a different pattern.
 */
export function createInputValidator(
  openapiSchema: unknown,
  inputs: ModelInputs,
  { filePattern = INPUT_REF_PATTERN }: { filePattern?: string } = {},
): InputValidator {
  const input = inputSchemaOf(openapiSchema);
  if (!input) throw new Error("The model's schema has no components.schemas.Input.");
  const components = (openapiSchema as { components?: unknown }).components;
  const fields = new Map(inputs.fields.map((field) => [field.name, field]));
  const hidden = new Set(inputs.omitted.map((omitted) => omitted.name));

  const policy = {
    type: "object",
    required: inputs.fields.filter((field) => field.required).map((field) => field.name),
    additionalProperties: false,
    properties: Object.fromEntries(
      inputs.fields.map((field) => [
        field.name,
        field.kind === "string"
          ? { maxLength: field.maxLength, "x-app-text": field.name === PROMPT_INPUT }
          : field.kind === "integer" || field.kind === "number"
            ? { minimum: field.minimum, maximum: field.maximum, "x-app-finite": true }
            : field.kind === "image"
              ? { type: "string", pattern: filePattern }
              : {},
      ]),
    ),
  };
  // The Input schema's $refs point at "#/components/...": keep components at the root they resolve against.
  const validate: ValidateFunction = ajv.compile({ allOf: [input, policy], components });

  return (values) => {
    if (validate(values)) return { ok: true, input: values as InputValues };
    const found = new Map<string, InputProblem>();
    for (const error of validate.errors ?? []) {
      const located = locate(error, hidden);
      if (!located) continue;
      const [name, fallback] = located;
      const field = fields.get(name);
      // The shared wording, from the value itself; Ajv's keyword where the two see it differently.
      const problem = (field && name in values ? valueProblem(field, values[name]) : null) ?? fallback;
      const current = found.get(name);
      if (!current || PROBLEM_PRIORITY.indexOf(problem.kind) < PROBLEM_PRIORITY.indexOf(current.kind)) found.set(name, problem);
    }
    const errors: FieldErrors = {};
    for (const [name, problem] of found) errors[name] = [problemMessage(name, fields.get(name), problem)];
    if (Object.keys(errors).length === 0) errors.input = ["These settings are not valid for this model."];
    return { ok: false, fields: errors };
  };
}

/** Which input an Ajv error is about, and the problem its keyword names. */
function locate(error: ErrorObject, hidden: Set<string>): [string, InputProblem] | null {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") return [String(params.missingProperty), { kind: "required" }];
  if (error.keyword === "additionalProperties") {
    const name = String(params.additionalProperty);
    return [name, { kind: hidden.has(name) ? "hidden" : "unknown" }];
  }
  const name = error.instancePath.split("/")[1]?.replace(/~1/g, "/").replace(/~0/g, "~");
  if (!name) return null;
  switch (error.keyword) {
    case "minimum":
    case "exclusiveMinimum":
      return [name, { kind: "minimum", limit: Number(params.limit) }];
    case "maximum":
    case "exclusiveMaximum":
      return [name, { kind: "maximum", limit: Number(params.limit) }];
    case "enum":
      return [name, { kind: "enum" }];
    case "maxLength":
      return [name, { kind: "too_long", limit: Number(params.limit) }];
    case "x-app-text":
      return [name, { kind: params.kind as "control" | "surrogate" | "blank" }];
    default:
      return [name, { kind: "type" }];
  }
}
