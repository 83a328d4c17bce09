import type { Observation, PredictionRow } from "@/lib/predictions/ports";
import { parseProgress } from "@/lib/predictions/progress";
import { seedFromLogs } from "@/lib/predictions/seed-from-logs";
import { isFinalStatus, type ModelPrediction, type PredictionStatus } from "@/lib/predictions/types";

/**
 * Which stored statuses an observation of `status` may replace: those it
 * comes after, and its own status when the stored log is no longer than the
 * observed one. Webhooks arrive out of order and more than once; this keeps a
 * row moving only forward. Both row stores express exactly this rule.
 */
export function replaceableBy(status: PredictionStatus): { before: PredictionStatus[]; same: PredictionStatus | null } {
  if (status === "starting") return { before: [], same: "starting" };
  if (status === "processing") return { before: ["starting"], same: "processing" };
  return { before: ["starting", "processing"], same: null };
}

/**
 * A model's prediction (a webhook's verified body, or a read) as the row
 * records it. `output` is included only for the service store.
 */
export function observationOf(
  prediction: ModelPrediction,
  { now, nextReadAt, withOutput = false }: { now: number; nextReadAt: number; withOutput?: boolean },
): Observation {
  const final = isFinalStatus(prediction.status);
  return {
    status: prediction.status,
    error: prediction.error,
    progress: prediction.status === "succeeded" ? 1 : parseProgress(prediction.logs),
    logsLength: prediction.logs?.length ?? 0,
    seed: seedFromLogs(prediction.logs),
    startedAt: prediction.started_at,
    completedAt: prediction.completed_at ?? (final ? new Date(now).toISOString() : null),
    ...(withOutput ? { output: prediction.output } : {}),
    heardAt: new Date(now).toISOString(),
    nextReadAt: new Date(nextReadAt).toISOString(),
  };
}

/**
 * A succeeded prediction as its row records it, when a verified webhook wrote
 * its outputs there (only the service store can): enough to save the images
 * without asking the model again. Null when the row does not know the outputs.
 */
export function storedPrediction(row: PredictionRow): ModelPrediction | null {
  if (row.status !== "succeeded" || row.output === null) return null;
  return {
    id: row.id,
    model: row.model,
    version: null,
    input: row.input,
    logs: null,
    output: row.output,
    error: null,
    status: "succeeded",
    created_at: row.created_at,
    started_at: row.started_at,
    completed_at: row.completed_at,
  };
}
