import type { GenerationInput } from "@/lib/predictions/input-schema";

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

/** The saved image as the browser sees it. */
export type ImageView = {
  id: string;
  url: string;
  width: number;
  height: number;
};

/** What `/api/replicate` and `/api/replicate/[id]` answer with. */
export type PredictionView = {
  id: string;
  status: PredictionStatus;
  /** 0..1 parsed from the model's logs; null before any progress is known. */
  progress: number | null;
  error: string | null;
  model: string;
  input: GenerationInput;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  image: ImageView | null;
};

/** What server actions answer with: never a thrown error across the wire. */
export type ActionResult<T> =
  | ({ ok: true } & T)
  | { ok: false; error: { code: string; message: string } };

export type SaveImageResult = ActionResult<{ image: ImageView }>;

/** One gallery tile. `url` is an authenticated, same-origin (local) or signed (cloud) URL. */
export type GalleryImage = {
  id: string;
  predictionId: string;
  url: string;
  prompt: string;
  input: GenerationInput;
  model: string;
  width: number;
  height: number;
  createdAt: string;
};
