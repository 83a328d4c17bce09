import type { InputValues } from "@/lib/models/input-fields";
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
  /** "owner/name:version" (or "local-preview"): exactly what ran. */
  model: string;
  /** The model's name as shown to people when it ran. */
  model_name: string;
  /** The configured reference it was chosen by; null for rows older than the model picker. */
  model_key: string | null;
  /** Exactly the input sent to the model. */
  input: InputValues;
  /** The seed used: from the input, or read from the model's logs once it said. */
  seed: number | null;
  /** How many images were asked for. */
  output_count: number;
  status: PredictionStatus;
  error: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  /** 0..1 from the model's logs, as last heard (a webhook or a read); null when they show none. */
  progress: number | null;
  /** How much of the model's log the row reflects: within a status, longer is newer. */
  logs_length: number;
  /** The model's output URLs, from a verified webhook (written by the service store only). */
  output: string[] | string | null;
  /** When the app last heard from the model about this prediction. */
  heard_at: string | null;
  /** No upstream read before this: see claimRead. */
  next_read_at: string | null;
  /** Output indexes whose image the person deleted: never saved again (the database refuses them). */
  deleted_outputs: number[];
};

/**
 * What the model said about a prediction at one moment (a webhook's body or a
 * read), as the row records it. `output` is written only by the service store.
 */
export type Observation = {
  status: PredictionStatus;
  error: string | null;
  progress: number | null;
  logsLength: number;
  seed: number | null;
  startedAt: string | null;
  completedAt: string | null;
  output?: string[] | string | null;
  heardAt: string;
  nextReadAt: string;
};

export type NewPredictionRow = Pick<
  PredictionRow,
  "id" | "user_id" | "model" | "model_name" | "model_key" | "input" | "seed" | "output_count" | "status"
>;

export type ImageRow = {
  id: string;
  user_id: string;
  prediction_id: string;
  /** Which of the prediction's outputs this is. */
  output_index: number;
  prompt: string;
  input: InputValues;
  model: string;
  model_name: string;
  seed: number | null;
  storage_path: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  created_at: string;
};

export type NewImageRow = Omit<ImageRow, "id" | "created_at">;

export type ImageCursor = { created_at: string; id: string };

/**
 * A held place in a person's limits, or why there is none: `count` is what was
 * counted against the limit (running predictions or this minute's creates,
 * reservations of creates still under way included).
 */
export type Reservation = { ok: true; id: string } | { ok: false; reason: "running" | "per_minute"; count: number };

export interface RowStore {
  /**
   * Atomically, for the person this store acts as (the database's caller, never
   * an id passed in): counts their running predictions, creates in the last
   * minute and reservations held by creates under way, and, within the limits,
   * holds one more place. Holds across server instances; a reservation
   * expires on its own after two minutes. Person stores only.
   */
  reservePrediction(args: { concurrent: number; perMinute: number }): Promise<Reservation>;
  /** Gives the place back: the prediction row now counts instead, or the create failed. */
  releaseReservation(args: { id: string }): Promise<void>;

  insertPrediction(row: NewPredictionRow): Promise<PredictionRow>;
  getPrediction(args: { id: string; userId: string }): Promise<PredictionRow | null>;
  /**
   * The owner's prediction and the images saved from it (by output index), read
   * together: every poll needs both, and together they cost one round trip.
   */
  getPredictionWithImages(args: { id: string; userId: string }): Promise<{ prediction: PredictionRow; images: ImageRow[] } | null>;
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
    /** Recorded when first known; left as it is when omitted. */
    startedAt?: string | null;
    seed?: number | null;
  }): Promise<void>;
  /**
   * Records an observation unless the row already knows something newer: a
   * final status is never replaced, processing never goes back to starting,
   * and within one status a shorter log is older. True when it was recorded.
   */
  recordObservation(args: { id: string; userId: string; observation: Observation }): Promise<boolean>;
  /**
   * Takes the right to read this prediction from the model now: moves
   * next_read_at from a time at or before `now` (or none) to `until`, in one
   * conditional update. False when someone else took it or it is not due, so
   * across tabs and server instances one poll reads and the rest use the row.
   */
  claimRead(args: { id: string; userId: string; now: string; until: string }): Promise<boolean>;
  /**
   * Verified webhooks for predictions whose row is not written yet (service
   * store only). Kept once per webhook id; taken (read and deleted) when the
   * row exists; pruned after an hour.
   */
  keepEarlyWebhook(args: { webhookId: string; predictionId: string; body: unknown }): Promise<void>;
  takeEarlyWebhooks(args: { predictionId: string }): Promise<unknown[]>;
  pruneEarlyWebhooks(args: { before: string }): Promise<number>;
  /** How long this user's recent successful runs of a model took, newest first (ms). */
  listRecentRunTimes(args: { userId: string; model: string; limit: number }): Promise<number[]>;
  /** Predictions this user created since `since` (for the per-user rate limit). */
  countPredictionsSince(args: { userId: string; since: string }): Promise<number>;
  /** This user's predictions created since `since` that are not in a final status yet. */
  listRunningPredictions(args: { userId: string; since: string }): Promise<PredictionRow[]>;
  /**
   * Anyone's predictions created since `since` that may still yield images
   * (starting, processing or succeeded) but have fewer saved than asked for, oldest first.
   * For the reconcile step, on the service store: a person's store sees only
   * their own rows.
   */
  listUnsavedPredictions(args: { since: string; limit: number }): Promise<PredictionRow[]>;

  getImageByOutput(args: { predictionId: string; outputIndex: number; userId: string }): Promise<ImageRow | null>;
  /** Inserts, or returns the row already there for the same prediction and output index. */
  insertImage(row: NewImageRow): Promise<ImageRow>;
  getImage(args: { id: string; userId: string }): Promise<ImageRow | null>;
  /** Newest first; `cursor` is the last row of the previous page. */
  listImages(args: { userId: string; limit: number; cursor?: ImageCursor }): Promise<ImageRow[]>;
  deleteImage(args: { id: string; userId: string }): Promise<ImageRow | null>;
}

/** What the browser gets for one saved image. */
export type ImageUrls = {
  /** The full image, to show. */
  url: string;
  /** The same file, sent as an attachment under the name it was asked for. */
  downloadUrl: string;
  /** Smaller copies for gallery tiles, narrowest first; empty when there are none (tiles then show `url`). */
  thumbnails: Array<{ width: number; url: string }>;
};

export interface FileStore {
  /** Streams `body` to `path`; replaces a file already there (saves are idempotent). */
  upload(args: { path: string; body: ReadableStream<Uint8Array>; contentType: string; maxBytes: number }): Promise<{ bytes: number }>;
  remove(args: { path: string }): Promise<void>;
  /** URLs the browser can show, in one round trip for a whole gallery page. */
  displayUrls(args: { paths: string[] }): Promise<Map<string, string>>;
  /**
   * Full, download and thumbnail URLs for saved images (by path), in one round
   * trip for a whole gallery page. A path with no URL is missing or not the caller's.
   */
  imageUrls(args: { images: Array<{ path: string; downloadName: string }> }): Promise<Map<string, ImageUrls>>;
  /**
   * True when gallery thumbnails are made as an image is saved and stored beside
   * it (cloud); local mode makes them on first request instead.
   */
  readonly keepsThumbnails?: boolean;
}

/** What one request (or one service job) gets: rows and files bound to an identity. */
export type Backend = {
  rows: RowStore;
  files: FileStore;
};
