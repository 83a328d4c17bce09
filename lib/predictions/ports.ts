import type { GenerationInput } from "@/lib/predictions/input-schema";
import type { PredictionStatus } from "@/lib/predictions/types";

/**
 * The interfaces feature code talks to. lib/local/ (PGlite + disk) and
 * lib/supabase/ (Supabase) implement them. Every method takes the owner's id and
 * filters on it, even where row-level security would already do so: the
 * service-role store used by webhooks has no session to lean on.
 */

export type SessionUser = { id: string; email: string };

export type PredictionRow = {
  id: string;
  user_id: string;
  model: string;
  input: GenerationInput;
  status: PredictionStatus;
  error: string | null;
  created_at: string;
  completed_at: string | null;
};

export type ImageRow = {
  id: string;
  user_id: string;
  prediction_id: string;
  prompt: string;
  input: GenerationInput;
  model: string;
  storage_path: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  created_at: string;
};

export type NewImageRow = Omit<ImageRow, "id" | "created_at">;

export type ImageCursor = { created_at: string; id: string };

export interface RowStore {
  insertPrediction(row: Omit<PredictionRow, "created_at" | "completed_at" | "error">): Promise<PredictionRow>;
  getPrediction(args: { id: string; userId: string }): Promise<PredictionRow | null>;
  /**
   * The owner's prediction and its saved image, if any, read together: every
   * poll needs both, and together they cost one database round trip, not two.
   */
  getPredictionWithImage(args: { id: string; userId: string }): Promise<{ prediction: PredictionRow; image: ImageRow | null } | null>;
  /**
   * Who owns a prediction. Only the service store can answer for anyone: a
   * webhook names a prediction but arrives with no session.
   */
  getPredictionOwner(args: { id: string }): Promise<string | null>;
  updatePrediction(args: {
    id: string;
    userId: string;
    status: PredictionStatus;
    error: string | null;
    completedAt: string | null;
  }): Promise<void>;
  /** Predictions this user created since `since` (for the per-user rate limit). */
  countPredictionsSince(args: { userId: string; since: string }): Promise<number>;
  /** This user's predictions created since `since` that are not in a final status yet. */
  listRunningPredictions(args: { userId: string; since: string }): Promise<PredictionRow[]>;
  /**
   * Anyone's predictions created since `since` that may still yield an image
   * (starting, processing or succeeded) but have none saved, oldest first.
   * For the reconcile step, on the service store: a person's store sees only
   * their own rows.
   */
  listUnsavedPredictions(args: { since: string; limit: number }): Promise<PredictionRow[]>;

  getImageByPrediction(args: { predictionId: string; userId: string }): Promise<ImageRow | null>;
  /** Inserts, or returns the row already there for the same prediction. */
  insertImage(row: NewImageRow): Promise<ImageRow>;
  getImage(args: { id: string; userId: string }): Promise<ImageRow | null>;
  /** Newest first; `cursor` is the last row of the previous page. */
  listImages(args: { userId: string; limit: number; cursor?: ImageCursor }): Promise<ImageRow[]>;
  deleteImage(args: { id: string; userId: string }): Promise<ImageRow | null>;
}

export interface FileStore {
  /** Streams `body` to `path`; replaces a file already there (saves are idempotent). */
  upload(args: { path: string; body: ReadableStream<Uint8Array>; contentType: string; maxBytes: number }): Promise<{ bytes: number }>;
  remove(args: { path: string }): Promise<void>;
  /** URLs the browser can show, in one round trip for a whole gallery page. */
  displayUrls(args: { paths: string[] }): Promise<Map<string, string>>;
}

/** What one request (or one service job) gets: rows and files bound to an identity. */
export type Backend = {
  rows: RowStore;
  files: FileStore;
};
