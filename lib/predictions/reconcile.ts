import { AppError, asAppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import type { Backend, PredictionRow } from "@/lib/predictions/ports";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import { isFinalStatus } from "@/lib/predictions/types";

/** Replicate deletes a prediction's output an hour after it was made: older rows cannot be saved any more. */
export const RECONCILE_WINDOW_MS = 60 * 60_000;
const DEFAULT_LIMIT = 100;
// Gentle on the model's read limits and on the database; a run is a background chore.
const DEFAULT_CONCURRENCY = 4;
/** Without PREDICTION_DEADLINE_MINUTES: a run this old is abandoned, and is stopped before it bills for half an hour. */
export const DEFAULT_DEADLINE_MS = 15 * 60_000;
/** One prediction that hangs (a storage call without a timeout) must not hold up the run, nor every later one. */
const SETTLE_TIMEOUT_MS = 2 * 60_000;

export type ReconcileResult = {
  /** Predictions without an image that were looked at. */
  checked: number;
  /** Images saved by this run. */
  saved: number;
  /** Still starting or processing at the model: a later run (or the person's poll) saves them. */
  running: number;
  /** Failed or canceled at the model: recorded on the row, nothing to save. */
  ended: number;
  /** Still running past the deadline: canceled at the model, and marked so. */
  canceled: number;
  /** Could not be settled now (the model or storage failed, or the model does not know the id). */
  failed: number;
};

/**
 * Saves the images nobody saved: a tab closed before its poll saw `succeeded`,
 * a webhook that never came, a server stopped between `succeeded` and the
 * save. Runs without a person, so `backend` must be the service backend; each
 * save is the same idempotent saveGeneratedImages the polls use, so a run that
 * races a poll or a webhook still leaves one row and one file.
 */
export async function reconcileUnsavedImages({
  backend,
  model,
  maxBytes,
  now = Date.now(),
  limit = DEFAULT_LIMIT,
  concurrency = DEFAULT_CONCURRENCY,
  settleTimeoutMs = SETTLE_TIMEOUT_MS,
  deadlineMs = DEFAULT_DEADLINE_MS,
}: {
  backend: Backend;
  model: ImageModel;
  maxBytes: number;
  now?: number;
  limit?: number;
  concurrency?: number;
  settleTimeoutMs?: number;
  /** Predictions running longer than this since they were created are canceled at the model. */
  deadlineMs?: number;
}): Promise<ReconcileResult> {
  const since = new Date(now - RECONCILE_WINDOW_MS).toISOString();
  // Webhooks that never found their row (not this app's, or a create that failed) are kept an hour at most.
  await backend.rows.pruneEarlyWebhooks({ before: since }).catch((error: unknown) => console.warn("Reconcile: could not prune the webhook inbox", error));
  const rows = await backend.rows.listUnsavedPredictions({ since, limit });
  const result: ReconcileResult = { checked: rows.length, saved: 0, running: 0, ended: 0, canceled: 0, failed: 0 };

  await eachWithLimit(rows, concurrency, async (row) => {
    try {
      result[await withTimeout(settle({ row, backend, model, maxBytes, now, deadlineMs }), settleTimeoutMs)] += 1;
    } catch (error) {
      result.failed += 1;
      // asAppError logs anything unexpected in full; expected failures get one line.
      console.warn(`Reconcile: prediction ${row.id} was not saved: ${asAppError(error).message}`);
    }
  });
  return result;
}

async function settle({
  row,
  backend,
  model,
  maxBytes,
  now,
  deadlineMs,
}: {
  row: PredictionRow;
  backend: Backend;
  model: ImageModel;
  maxBytes: number;
  now: number;
  deadlineMs: number;
}): Promise<"saved" | "running" | "ended" | "canceled"> {
  const overdue = now - Date.parse(row.created_at) > deadlineMs;
  // Running, heard from recently (a webhook or a poll's read) and within its deadline: nothing to do, and no read spent.
  if (!isFinalStatus(row.status) && !overdue && row.next_read_at && Date.parse(row.next_read_at) > now) return "running";
  // The row is only as fresh as the last poll or webhook; the model is the truth.
  let live = await model.get(row.id);
  if (overdue && !isFinalStatus(live.status)) {
    // Abandoned (nobody waits this long for an image): stop it before it bills for Replicate's full half hour.
    live = await model.cancel(row.id);
    if (live.status === "canceled") {
      const minutes = Math.round(deadlineMs / 60_000);
      await backend.rows.updatePrediction({
        id: row.id,
        userId: row.user_id,
        status: "canceled",
        error: `Stopped: still not finished after ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        completedAt: live.completed_at ?? new Date(now).toISOString(),
      });
      return "canceled";
    }
  }
  if (live.status === "succeeded") {
    const { failures } = await saveGeneratedImages({ userId: row.user_id, predictionId: row.id, backend, model, maxBytes });
    // Some images saved, not all: a failure, so the next run tries the rest (the row stays unsaved until then).
    if (failures.length > 0) throw failures[0].error;
    return "saved";
  }
  const ended = isFinalStatus(live.status);
  if (live.status !== row.status || live.error !== row.error) {
    await backend.rows.updatePrediction({
      id: row.id,
      userId: row.user_id,
      status: live.status,
      error: live.error,
      completedAt: live.completed_at ?? (ended ? new Date(now).toISOString() : null),
    });
  }
  return ended ? "ended" : "running";
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError("upstream_unavailable", `Gave up after ${Math.round(ms / 1000)} s.`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

async function eachWithLimit<T>(items: T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
