import type { ImageType } from "@/lib/predictions/image-signature";

/**
 * What the image-input feature talks to; lib/local/ and lib/supabase/ implement
 * it, beside their row and file stores. Every method takes the owner's id and
 * filters on it, even where row-level security already does.
 */

export type InputStatus = "pending" | "ready";

export type InputRow = {
  id: string;
  user_id: string;
  /** `<user_id>/inputs/<id>.<ext>`, chosen by the server. */
  storage_path: string;
  status: InputStatus;
  content_type: ImageType["contentType"];
  bytes: number | null;
  width: number | null;
  height: number | null;
  created_at: string;
  last_used_at: string | null;
};

export interface InputRowStore {
  insertInput(row: Pick<InputRow, "id" | "user_id" | "storage_path" | "content_type">): Promise<InputRow>;
  getInputs(args: { ids: string[]; userId: string }): Promise<InputRow[]>;
  markReady(args: { id: string; userId: string; contentType: ImageType["contentType"]; bytes: number; width: number; height: number }): Promise<void>;
  markUsed(args: { ids: string[]; userId: string; at: string }): Promise<void>;
  deleteInput(args: { id: string; userId: string }): Promise<void>;
  /** Which inputs a prediction was given, by input name. */
  recordPredictionInputs(args: { predictionId: string; userId: string; inputs: Array<{ name: string; id: string }> }): Promise<void>;

  // For the clean-up job, on the service store.
  /** Inputs created and last used before `before`, oldest first. */
  listStaleInputs(args: { before: string; limit: number }): Promise<InputRow[]>;
  /** Of these inputs, the ones a prediction with a saved image still uses. */
  inputsWithImages(args: { ids: string[] }): Promise<Set<string>>;
}

/** Where the browser sends an input's bytes: never through the app's own request body in cloud mode. */
export type UploadTarget = { method: "PUT"; url: string; headers: Record<string, string> };

export interface InputFileStore {
  /** A URL the browser may upload these bytes to, for this path only. */
  uploadTarget(args: { path: string; contentType: string }): Promise<UploadTarget>;
  /** The stored bytes, streamed; null when there are none this identity may read. */
  read(args: { path: string }): Promise<ReadableStream<Uint8Array> | null>;
  /** Streams bytes to `path` (the local upload route, and copies of gallery images). */
  write(args: { path: string; body: ReadableStream<Uint8Array>; contentType: string; maxBytes: number }): Promise<{ bytes: number }>;
  remove(args: { path: string }): Promise<void>;
  displayUrls(args: { paths: string[] }): Promise<Map<string, string>>;
}

export type InputBackend = { rows: InputRowStore; files: InputFileStore };
