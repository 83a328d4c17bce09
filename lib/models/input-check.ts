import type { FieldErrors } from "@/lib/errors";
import type { InputField, InputValues } from "@/lib/models/input-fields";
import { isInputRef } from "@/lib/inputs/input-ref";
import { CONTROL_CHARS, LONE_SURROGATE, PROMPT_INPUT } from "@/lib/models/input-policy";

/**
 * The browser's check of a model's inputs, drawn from the same fields the form
 * is (read from the model's schema), so a value out of range is caught before
 * anything is sent. The server validates every request again with a JSON
 * Schema validator against the schema itself (input-validator.ts) and stays the
 * authority; both name problems with the kinds and messages below, and
 * tests/unit/input-agreement.test.ts fails if they disagree on any fixture model.
 */

export type InputProblem =
  | { kind: "unknown" }
  | { kind: "hidden" }
  | { kind: "required" }
  | { kind: "type" }
  | { kind: "whole" }
  | { kind: "minimum"; limit: number }
  | { kind: "maximum"; limit: number }
  | { kind: "enum" }
  | { kind: "too_long"; limit: number }
  | { kind: "control" }
  | { kind: "surrogate" }
  | { kind: "blank" };

/** When one value has several problems, the first of these is the one shown. */
export const PROBLEM_PRIORITY: readonly InputProblem["kind"][] = [
  "unknown",
  "hidden",
  "required",
  "type",
  "whole",
  "minimum",
  "maximum",
  "enum",
  "too_long",
  "control",
  "surrogate",
  "blank",
];

const typeWords: Record<InputField["kind"], string> = {
  string: "text",
  integer: "a whole number",
  number: "a number",
  boolean: "on or off",
  enum: "one of the listed choices",
  image: "an image you uploaded",
};

export function problemMessage(name: string, field: InputField | undefined, problem: InputProblem): string {
  const label = field?.title ?? name;
  switch (problem.kind) {
    case "unknown":
      return `Unknown field: ${name}.`;
    case "hidden":
      return `${name} cannot be set in this app.`;
    case "required":
      return name === PROMPT_INPUT ? "Describe the image you want." : `${label} is required.`;
    case "type":
      return `${label} must be ${field ? typeWords[field.kind] : "a valid value"}.`;
    case "whole":
      return `${label} must be a whole number.`;
    case "minimum":
      return `${label} must be at least ${problem.limit}.`;
    case "maximum":
      return `${label} must be at most ${problem.limit}.`;
    case "enum":
      return `${label} must be one of: ${(field?.options ?? []).join(", ")}.`;
    case "too_long":
      return `${label} must be at most ${problem.limit} characters.`;
    case "control":
      return `${label} must not contain control characters.`;
    case "surrogate":
      return `${label} contains a broken character.`;
    case "blank":
      return "Describe the image you want.";
  }
}

/** The first problem of one value against its field, or null. */
export function valueProblem(field: InputField, value: unknown): InputProblem | null {
  switch (field.kind) {
    case "boolean":
      return typeof value === "boolean" ? null : { kind: "type" };
    case "enum":
      return field.options?.some((option) => option === value) ? null : { kind: "enum" };
    case "image":
      return isInputRef(value) ? null : { kind: "type" };
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return { kind: "type" };
      if (field.kind === "integer" && !Number.isInteger(value)) return { kind: "whole" };
      if (field.minimum !== undefined && value < field.minimum) return { kind: "minimum", limit: field.minimum };
      if (field.maximum !== undefined && value > field.maximum) return { kind: "maximum", limit: field.maximum };
      return null;
    }
    case "string": {
      if (typeof value !== "string") return { kind: "type" };
      // Code points, as JSON Schema's maxLength counts them.
      if (field.maxLength !== undefined && [...value].length > field.maxLength) return { kind: "too_long", limit: field.maxLength };
      if (CONTROL_CHARS.test(value)) return { kind: "control" };
      if (LONE_SURROGATE.test(value)) return { kind: "surrogate" };
      if (field.name === PROMPT_INPUT && value.trim() === "") return { kind: "blank" };
      return null;
    }
  }
}

/**
 * Checks a whole input: every declared field's value, required ones present,
 * nothing undeclared. `hiddenNames` are inputs the model declares but the app
 * never offers (they are refused, with their own message).
 */
export function checkInput(
  fields: readonly InputField[],
  values: Record<string, unknown>,
  hiddenNames: readonly string[] = [],
): { ok: true; input: InputValues } | { ok: false; fields: FieldErrors } {
  const errors: FieldErrors = {};
  const byName = new Map(fields.map((field) => [field.name, field]));
  for (const [name, value] of Object.entries(values)) {
    const field = byName.get(name);
    const problem = field ? valueProblem(field, value) : { kind: hiddenNames.includes(name) ? ("hidden" as const) : ("unknown" as const) };
    if (problem) errors[name] = [problemMessage(name, field, problem)];
  }
  for (const field of fields) {
    if (field.required && values[field.name] === undefined) errors[field.name] = [problemMessage(field.name, field, { kind: "required" })];
  }
  return Object.keys(errors).length > 0 ? { ok: false, fields: errors } : { ok: true, input: values as InputValues };
}
