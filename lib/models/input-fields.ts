/**
 * A model's inputs as the app understands them, read from the model's own
 * OpenAPI schema (lib/models/cog-schema.ts). Plain data with no dependencies:
 * the server validates with the schema itself, and the browser draws the form
 * and checks values from these fields, so both derive from one source.
 */

/**
 * `image` is a `format: uri` input: its value is `input:<uuid>`, one of the
 * person's own uploaded images (lib/inputs/input-ref.ts), never a URL.
 */
export type InputFieldKind = "string" | "integer" | "number" | "boolean" | "enum" | "image";

export type InputField = {
  /** The input's name in the schema, and in what is sent to the model. */
  name: string;
  /** Cog's `title` ("Num Inference Steps"), or the name when there is none. */
  title: string;
  description: string | null;
  /** Cog's `x-order`; fields without one come after, by name. */
  order: number;
  required: boolean;
  kind: InputFieldKind;
  /** For enums: the allowed values, in the schema's order. */
  options?: readonly (string | number)[];
  /** The schema's default, when it has one. */
  default?: string | number | boolean;
  minimum?: number;
  maximum?: number;
  /** For strings: the schema's maxLength, capped by the app's own text limit. */
  maxLength?: number;
};

/** What the browser needs to know about one configured model. */
export type ModelOption = {
  /** What the picker and `POST /api/replicate`'s `model` name it by: the configured reference. */
  key: string;
  /** Shown to people: "Stable Diffusion XL", "black-forest-labs/flux-schnell". */
  displayName: string;
  /** The built-in model: the UI must say it is a local preview, not a real image model. */
  isLocalPreview: boolean;
  /** False when the model's schema cannot be had or it needs something this app cannot send. */
  available: boolean;
  /** Why the model cannot be used, in words for the person. */
  unavailableReason: string | null;
  /** The inputs the form offers, ordered by `x-order`. */
  fields: InputField[];
};

/** The values a person may send: what the schema declares, never anything else. */
export type InputValues = Record<string, string | number | boolean>;

/**
 * What a form left untouched sends: every field's schema default. Fields with
 * none (a seed, flux-1.1-pro's width) are left out, so the model decides.
 */
export function defaultInput(fields: readonly InputField[]): InputValues {
  return Object.fromEntries(fields.flatMap((field) => (field.default === undefined ? [] : [[field.name, field.default]])));
}
