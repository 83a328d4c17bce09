import type { InputValues } from "@/lib/models/input-fields";

/** Replicate's prediction statuses (replicate.com/docs). */
export type PredictionStatus = "starting" | "processing" | "succeeded" | "failed" | "canceled" | "aborted";

export const FINAL_STATUSES: readonly PredictionStatus[] = ["succeeded", "failed", "canceled", "aborted"];

export function isFinalStatus(status: PredictionStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** A prediction as Replicate's API returns it; the image-model port speaks this shape. */
export type ModelPrediction = {
  id: string;
  model: string;
  version: string | null;
  input: Record<string, unknown>;
  logs: string | null;
  output: string[] | string | null;
  error: string | null;
  status: PredictionStatus;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
};

/** A saved image as the browser sees it. */
export type ImageView = {
  id: string;
  /** Which of the prediction's outputs it is (0 for the first). */
  index: number;
  url: string;
  /** The same file as a download, named from the prompt. */
  downloadUrl: string;
  /** Read from the saved file's header: what the model made, not what was asked for. */
  width: number;
  height: number;
};

/** What `/api/replicate` and `/api/replicate/[id]` answer with. */
export type PredictionView = {
  id: string;
  status: PredictionStatus;
  /** 0..1, parsed from the model's logs or estimated; null before anything is known. */
  progress: number | null;
  /** True when progress is estimated from the model's usual run time, not read from its logs. */
  progressIsEstimate: boolean;
  error: string | null;
  /** The model reference it ran on ("owner/name:version", or "local-preview"). */
  model: string;
  /** The model's name as shown to people. */
  modelName: string;
  /** The configured reference it was started with (the picker's key), so its settings can be restored. */
  modelKey: string;
  /** Exactly the input sent to the model. */
  input: InputValues;
  /** The seed the model used: from the input, or as the model reported it in its logs. */
  seed: number | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** How many images the model was asked for: one placeholder each until saved. */
  expectedImages: number;
  /** The images saved so far, by output index. */
  images: ImageView[];
  /** When polling again can tell something new, in ms (the server's hint; absent on a final answer). */
  pollAfterMs?: number;
};

/** What server actions answer with: never a thrown error across the wire. */
export type ActionResult<T> =
  | ({ ok: true } & T)
  | { ok: false; error: { code: string; message: string } };

export type SaveImageResult = ActionResult<{ images: ImageView[] }>;

/** One gallery tile. `url` is an authenticated, same-origin (local) or signed (cloud) URL. */
export type GalleryImage = {
  id: string;
  predictionId: string;
  /** The full image: shown only in the dialog. */
  url: string;
  /** The same file as a download, named from the prompt. */
  downloadUrl: string;
  /** What tiles show, narrowest first; empty when the image has none (the tile falls back to `url`). */
  thumbnails: Array<{ width: number; url: string }>;
  prompt: string;
  input: InputValues;
  model: string;
  modelName: string;
  seed: number | null;
  width: number;
  height: number;
  createdAt: string;
  /** The input images it was made from, by input name, when they can still be shown. */
  inputImages?: Record<string, { url: string; width: number; height: number }>;
};
