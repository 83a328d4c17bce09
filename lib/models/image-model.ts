import type { GenerationInput } from "@/lib/predictions/input-schema";
import type { ModelPrediction } from "@/lib/predictions/types";

/** A model output opened for reading; the body is streamed, never buffered whole. */
export type OutputDownload = {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  /** From Content-Length when the source sends one. */
  contentLength: number | null;
};

/**
 * The image-model port. Replicate and the built-in local model both implement
 * it and both speak Replicate's prediction shape, so the rest of the app cannot
 * tell which one it is talking to (except to label the local one honestly).
 */
export interface ImageModel {
  /** Stored with each prediction and image, e.g. "stability-ai/sdxl:2b01…" or "local-preview". */
  readonly id: string;
  /** Shown to people: "Stable Diffusion XL", "Local preview model". */
  readonly displayName: string;
  /** True for the built-in model: the UI must say it is a local preview, not SDXL. */
  readonly isLocalPreview: boolean;

  create(input: GenerationInput, options?: { webhookUrl?: string }): Promise<ModelPrediction>;
  get(id: string): Promise<ModelPrediction>;
  cancel(id: string): Promise<ModelPrediction>;
  /**
   * Opens the first output of a succeeded prediction. Implementations read only
   * from their own output hosts, never from a URL a browser supplied.
   */
  openOutput(prediction: ModelPrediction): Promise<OutputDownload>;
}
