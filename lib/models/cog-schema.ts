import type { InputField, InputFieldKind } from "@/lib/models/input-fields";
import { isHiddenInput, MAX_TEXT_LENGTH, narrowRange, PROMPT_INPUT, SEED_INPUT, SEED_RANGE, SIZE_INPUTS, SIZE_RANGE } from "@/lib/models/input-policy";

/**
 * Reads a model's inputs from the OpenAPI schema Cog publishes for it
 * (`openapi_schema` of a Replicate model version): `components.schemas.Input`,
 * with enums written as `allOf: [{ $ref: "#/components/schemas/<name>" }]`,
 * files as `format: uri` (offered as image inputs) and secrets as `format: password`. This follows what
 * Cog's own playground does: resolve the $ref, sort by `x-order`, keep the
 * defaults. Plain code with no dependencies, so it runs anywhere.
 */

export type OmittedInput = { name: string; reason: "hidden" | "unsupported" };

export type ModelInputs = {
  /** What the form offers, ordered by x-order. */
  fields: InputField[];
  /** Declared inputs the form leaves out, and why. */
  omitted: OmittedInput[];
  /** Set when the model cannot be run from this app (a required input it cannot offer). */
  unavailableReason: string | null;
};

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** `components.schemas.Input` of a Cog OpenAPI schema, or null when there is none. */
export function inputSchemaOf(openapiSchema: unknown): JsonObject | null {
  const schemas = isObject(openapiSchema) && isObject(openapiSchema.components) ? openapiSchema.components.schemas : null;
  return isObject(schemas) && isObject(schemas.Input) ? schemas.Input : null;
}

/** Follows one local `$ref` ("#/components/schemas/x") inside the same document. */
function resolveRef(document: unknown, ref: string): JsonObject | null {
  if (!ref.startsWith("#/")) return null;
  let node: unknown = document;
  for (const part of ref.slice(2).split("/")) {
    node = isObject(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return isObject(node) ? node : null;
}

/** A property with its `allOf`/`$ref` indirection folded in; the property's own keys win. */
function flatten(document: unknown, property: JsonObject): JsonObject {
  const parts: JsonObject[] = [];
  const refs = [...(Array.isArray(property.allOf) ? property.allOf : []), ...(typeof property.$ref === "string" ? [property] : [])];
  for (const part of refs) {
    if (isObject(part) && typeof part.$ref === "string") {
      const target = resolveRef(document, part.$ref);
      if (target) parts.push(target);
    } else if (isObject(part)) {
      parts.push(part);
    }
  }
  const own = { ...property };
  delete own.allOf;
  delete own.$ref;
  // The enum's own schema carries a generic title ("aspect_ratio") and description
  // ("An enumeration."): the property's are the ones written for people.
  const withoutLabels = parts.map((part) => {
    const rest = { ...part };
    delete rest.title;
    delete rest.description;
    return rest;
  });
  return Object.assign({}, ...withoutLabels, own);
}

const humanise = (name: string) => name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

function kindOf(schema: JsonObject): InputFieldKind | null {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return "enum";
  switch (schema.type) {
    case "string":
    case "integer":
    case "number":
    case "boolean":
      return schema.type;
    default:
      return null;
  }
}

const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

export function readModelInputs(openapiSchema: unknown): ModelInputs {
  const input = inputSchemaOf(openapiSchema);
  if (!input || !isObject(input.properties)) {
    return { fields: [], omitted: [], unavailableReason: "The model's published schema has no inputs this app can read." };
  }
  const required = new Set(Array.isArray(input.required) ? input.required.filter((n): n is string => typeof n === "string") : []);
  const fields: InputField[] = [];
  const omitted: OmittedInput[] = [];
  const blocking: string[] = [];

  for (const [name, raw] of Object.entries(input.properties)) {
    if (!isObject(raw)) continue;
    const schema = flatten(openapiSchema, raw);
    const format = typeof schema.format === "string" ? schema.format : undefined;
    const isRequired = required.has(name);
    // A single `format: uri` string is an image the person uploads (a list of
    // files is not offered). Hidden inputs win: replicate_weights is a uri too.
    const kind = format === "uri" && schema.type === "string" ? "image" : kindOf(schema);
    const reason: OmittedInput["reason"] | null = isHiddenInput(name, format) ? "hidden" : kind === null ? "unsupported" : null;
    if (reason) {
      omitted.push({ name, reason });
      if (isRequired) blocking.push(`an input this app does not offer (${name})`);
      continue;
    }
    fields.push(toField(name, schema, kind!, isRequired));
  }

  fields.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  const unavailableReason =
    blocking.length > 0 ? `This model needs ${blocking.join(" and ")}, which this app cannot send yet.` : null;
  return { fields, omitted, unavailableReason };
}

function toField(name: string, schema: JsonObject, kind: InputFieldKind, required: boolean): InputField {
  const field: InputField = {
    name,
    title: typeof schema.title === "string" && schema.title.trim() ? schema.title.trim() : humanise(name),
    description: typeof schema.description === "string" && schema.description.trim() ? schema.description.trim() : null,
    order: typeof schema["x-order"] === "number" ? schema["x-order"] : Number.MAX_SAFE_INTEGER,
    // A model may default its prompt (SDXL's astronaut), but this app always asks for one.
    required: required || (name === PROMPT_INPUT && kind === "string"),
    kind,
  };
  if (isScalar(schema.default)) field.default = schema.default;
  if (kind === "enum") field.options = (schema.enum as unknown[]).filter((v): v is string | number => typeof v === "string" || typeof v === "number");
  if (typeof schema.minimum === "number") field.minimum = schema.minimum;
  if (typeof schema.maximum === "number") field.maximum = schema.maximum;
  if (kind === "string") {
    field.maxLength = typeof schema.maxLength === "number" ? Math.min(schema.maxLength, MAX_TEXT_LENGTH) : MAX_TEXT_LENGTH;
  }
  // The app's ranges narrow whatever the model declares, never widen it.
  if (name === SEED_INPUT && kind === "integer") Object.assign(field, narrowRange(field, SEED_RANGE));
  if (SIZE_INPUTS.includes(name) && kind === "integer") Object.assign(field, narrowRange(field, SIZE_RANGE));
  return field;
}
