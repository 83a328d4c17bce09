import type { Observation } from "@/lib/predictions/ports";
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
