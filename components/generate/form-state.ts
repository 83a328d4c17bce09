import type { FieldErrors } from "@/lib/errors";
import { valueProblem } from "@/lib/models/input-check";
import type { InputField, InputValues } from "@/lib/models/input-fields";

/**
 * The form keeps what the person typed as it is: a half-typed "7." or an empty
 * seed must survive re-renders untouched. Text, numbers and enum choices are
 * strings ("" = not set); switches are booleans, or "" while a switch without a
 * default has not been touched. Conversion to the field's type happens once, on
 * submit.
 */
export type RawValue = string | boolean;
export type RawValues = Record<string, RawValue>;

/** One message per field, keyed by input name. */
export type FormErrors = Record<string, string>;

function rawOf(value: string | number | boolean | undefined): RawValue {
  if (value === undefined) return "";
  return typeof value === "boolean" ? value : String(value);
}

/** The field's own default, as the form holds it. */
export function defaultRaw(field: InputField): RawValue {
  return rawOf(field.default);
}

/**
 * Starting values: the given input where it is still valid for the field (settings
 * reused from an older image may not be), the schema's default otherwise.
 */
export function initialRawValues(fields: readonly InputField[], input: InputValues = {}): RawValues {
  return Object.fromEntries(
    fields.map((field) => {
      const given = input[field.name];
      return [field.name, given !== undefined && valueProblem(field, given) === null ? rawOf(given) : defaultRaw(field)];
    }),
  );
}

/** The value to send for one field, or undefined to leave it out (so the model's own default applies). */
export function convertRaw(field: InputField, raw: RawValue | undefined): unknown {
  if (raw === undefined || raw === "") {
    // A text field with a default sends what is there, even when emptied: "" is a choice.
    return field.kind === "string" && field.default !== undefined ? "" : undefined;
  }
  switch (field.kind) {
    case "boolean":
      return raw;
    case "integer":
    case "number":
      // NaN for anything that is not a number; the check names it.
      return typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : Number.NaN;
    case "enum":
      // Options may be numbers; the select only knows strings.
      return field.options?.find((option) => String(option) === raw) ?? raw;
    case "string":
    case "image":
      return raw;
  }
}

/** What the form would send, before any checking. */
export function toInputDraft(fields: readonly InputField[], values: RawValues): Record<string, unknown> {
  const draft: Record<string, unknown> = {};
  for (const field of fields) {
    const value = convertRaw(field, values[field.name]);
    if (value !== undefined) draft[field.name] = value;
  }
  return draft;
}

/**
 * Values for a newly picked model. A value carries over when it is still valid
 * for the new model's field of the same name and kind, and it is the person's:
 * text always is, a setting only when it differs from the old model's default.
 * Everything else starts from the new model's default, since one model's tuning
 * is rarely right for another (4 steps suit flux-schnell, not SDXL).
 */
export function carryOverValues(
  oldFields: readonly InputField[],
  newFields: readonly InputField[],
  values: RawValues,
): RawValues {
  const oldByName = new Map(oldFields.map((field) => [field.name, field]));
  return Object.fromEntries(
    newFields.map((field) => {
      const old = oldByName.get(field.name);
      const raw = values[field.name];
      const untouched = field.kind !== "string" && raw === defaultRaw(old ?? field);
      if (!old || old.kind !== field.kind || raw === undefined || raw === "" || untouched) {
        return [field.name, defaultRaw(field)];
      }
      const value = convertRaw(field, raw);
      return [field.name, value !== undefined && valueProblem(field, value) === null ? raw : defaultRaw(field)];
    }),
  );
}

/**
 * Splits field errors (keyed by input name) into those the form shows on a field
 * and the rest, which the summary lists so no message is ever lost.
 */
export function splitErrors(fields: readonly InputField[], errors: FieldErrors): { errors: FormErrors; other: string[] } {
  const shown = new Set(fields.map((field) => field.name));
  const onFields: FormErrors = {};
  const other: string[] = [];
  for (const [name, messages] of Object.entries(errors)) {
    const message = messages[0];
    if (!message) continue;
    if (shown.has(name)) onFields[name] ??= message;
    else other.push(message);
  }
  return { errors: onFields, other };
}
