import type { InputField } from "@/lib/models/input-fields";

/**
 * How the form presents inputs people know by name. The model's schema says what
 * an input is (kind, range, default); this table only says where it goes and which
 * control suits it. An input not named here is drawn from its kind, under
 * Advanced settings unless the model requires it.
 */

export type FieldPlacement = "main" | "advanced";

/**
 * - `prompt`: the big textarea with a counter and the Ctrl/⌘+Enter shortcut
 * - `textarea`: a smaller multi-line text box
 * - `aspect-ratio`: radio buttons, each drawing a rectangle of its ratio
 * - `size`: a number box stepping by 8 (latent sizes are multiples of 8)
 * - `seed`: a number box where blank means random, with a "Random" button
 * - `segmented`: one radio button per whole number in a short range
 * - `mask`: an image input painted with a brush over the image input beside it (or uploaded)
 */
export type FieldControl = "prompt" | "textarea" | "aspect-ratio" | "size" | "seed" | "segmented" | "mask";

export type FieldHint = { placement: FieldPlacement; control?: FieldControl };

export const FIELD_HINTS: Readonly<Record<string, FieldHint>> = {
  prompt: { placement: "main", control: "prompt" },
  negative_prompt: { placement: "main", control: "textarea" },
  aspect_ratio: { placement: "main", control: "aspect-ratio" },
  width: { placement: "main", control: "size" },
  height: { placement: "main", control: "size" },
  num_outputs: { placement: "main", control: "segmented" },
  seed: { placement: "advanced", control: "seed" },
  // What an image input is for is plain from the picture itself: they all sit in the main part.
  image: { placement: "main" },
  input_image: { placement: "main" },
  image_prompt: { placement: "main" },
  mask: { placement: "main", control: "mask" },
};

/** The image input a mask is painted over: SDXL-style models call it `image`. */
export const MASKED_IMAGE_INPUT = "image";

/** A segmented choice stops being readable past this many buttons; a slider takes over. */
const MAX_SEGMENTS = 8;

export function placementOf(field: InputField): FieldPlacement {
  return FIELD_HINTS[field.name]?.placement ?? (field.required || field.kind === "image" ? "main" : "advanced");
}

/**
 * The control for a field: the table's, when the field's kind still suits it (a
 * model may declare `aspect_ratio` as free text, say), else one chosen by kind.
 */
export type ControlKind = FieldControl | "select" | "switch" | "slider" | "number" | "text" | "image";

export function controlOf(field: InputField): ControlKind {
  const hinted = FIELD_HINTS[field.name]?.control;
  if (hinted && suits(hinted, field)) return hinted;
  switch (field.kind) {
    case "enum":
      return "select";
    case "boolean":
      return "switch";
    case "integer":
    case "number":
      return field.minimum !== undefined && field.maximum !== undefined ? "slider" : "number";
    case "string":
      return "text";
    case "image":
      return "image";
  }
}

function suits(control: FieldControl, field: InputField): boolean {
  switch (control) {
    case "prompt":
    case "textarea":
      return field.kind === "string";
    case "aspect-ratio":
      return field.kind === "enum";
    case "size":
    case "seed":
      return field.kind === "integer";
    case "mask":
      return field.kind === "image";
    case "segmented":
      return (
        field.kind === "integer" &&
        field.minimum !== undefined &&
        field.maximum !== undefined &&
        field.maximum - field.minimum + 1 <= MAX_SEGMENTS
      );
  }
}

/** "16:9" → 16/9; null for anything that is not two positive numbers ("custom", "match_input_image"). */
export function parseRatio(value: string): number | null {
  const match = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (!match) return null;
  const ratio = Number(match[1]) / Number(match[2]);
  return Number.isFinite(ratio) && ratio > 0 ? ratio : null;
}
