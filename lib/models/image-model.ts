import type { InputValues } from "@/lib/models/input-fields";
import type { ModelRef } from "@/lib/models/model-ref";
import type { ModelPrediction } from "@/lib/predictions/types";

/** A model output opened for reading; the body is streamed, never buffered whole. */
export type OutputDownload = {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** From Content-Length when the source sends one. */
  contentLength: number | null;
};

/** An input image's bytes, as create sends them to a model. */
export type InputFile = { bytes: Uint8Array; contentType: string; filename: string };

/** One version of a model, as its provider publishes it. */
export type ModelDescription = {
  /** "owner/name" ("local-preview" for the built-in model). */
  model: string;
  /** The version id; null for the built-in model. */
  version: string | null;
  /** The version's OpenAPI schema, as Cog writes it. */
  openapiSchema: unknown;
};

export type ReadOptions = {
  /**
   * false: a 429 comes back at once instead of being waited out inside the
   * call. A poll reads for everyone following the prediction; it records the
   * wait on the row and answers from it, rather than holding every waiting
   * request (and its read claim) for seconds. Default true.
   */
  waitOutThrottle?: boolean;
};

/** What a create runs: a pinned version, an official model by name, or a deployment. */
export type RunTarget =
  | { kind: "version"; version: string }
  | { kind: "model"; owner: string; name: string }
  | { kind: "deployment"; owner: string; name: string }
  | { kind: "local" };

/**
 * The image-model port: where predictions run. Replicate and the built-in local
 * model both implement it and both speak Replicate's prediction shape, so the
 * rest of the app cannot tell which one it is talking to (except to label the
 * local one honestly). Which models exist and what they take is the catalog's
 * business (model-catalog.ts); this only describes, runs, reads and opens.
 */
export interface ImageModel {
  /** True for the built-in model: the UI must say it is a local preview, not a real image model. */
  readonly isLocalPreview: boolean;

  /** Reads a model's published description: its newest version for a name, or the given one. */
  describe(ref: ModelRef | "local"): Promise<ModelDescription>;
  /**
   * Hands an input image (already checked by the app) to the model without
   * making it public, and answers with what the model's `uri` input takes:
   * a Replicate Files API URL, or the local model's own reference to the file.
   */
  uploadInputFile(file: InputFile): Promise<string>;
  create(args: { target: RunTarget; input: InputValues; webhookUrl?: string }): Promise<ModelPrediction>;
  get(id: string, options?: ReadOptions): Promise<ModelPrediction>;
  cancel(id: string): Promise<ModelPrediction>;
  /**
   * Opens output `index` of a succeeded prediction. Implementations read only
   * from their own output hosts, never from a URL a browser supplied.
   */
  openOutput(prediction: ModelPrediction, index: number): Promise<OutputDownload>;
}

/** A prediction's outputs as a list: models answer a list of URLs or a single URL. */
export function outputList(output: ModelPrediction["output"]): string[] {
  if (typeof output === "string") return [output];
  return Array.isArray(output) ? output : [];
}
