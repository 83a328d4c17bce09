import { AppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import type { GenerationInput } from "@/lib/predictions/input-schema";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import { toPredictionView } from "@/lib/predictions/prediction-view";
import { isFinalStatus, type PredictionView } from "@/lib/predictions/types";

export type CreateLimits = { createsPerMinute: number; concurrent: number };

/**
 * Checks the person's limits (kept in the database, so they hold across server
 * instances), starts the prediction, and records its owner before answering.
 */
export async function createPrediction({
  user,
  backend,
  model,
  input,
  limits,
  webhookUrl,
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  input: GenerationInput;
  limits: CreateLimits;
  webhookUrl?: string;
}): Promise<PredictionView> {
  await enforceLimits({ user, backend, model, limits });

  // Create is not idempotent and costs money: it is never retried here.
  const prediction = await model.create(input, { webhookUrl });
  const chosenSeed = prediction.input.seed;
  const recordedInput: GenerationInput = { ...input, ...(typeof chosenSeed === "number" ? { seed: chosenSeed } : {}) };

  try {
    const row = await backend.rows.insertPrediction({
      id: prediction.id,
      user_id: user.id,
      model: model.id,
      input: recordedInput,
      status: prediction.status,
    });
    return toPredictionView(row, prediction, null);
  } catch (error) {
    // Without its row nobody could ever see or save this prediction: stop paying for it.
    await model.cancel(prediction.id).catch(() => undefined);
    throw error;
  }
}

/** Replicate stops a prediction after 30 minutes; an older row cannot still be running. */
const RUNNING_WINDOW_MS = 30 * 60_000;

async function enforceLimits({
  user,
  backend,
  model,
  limits,
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  limits: CreateLimits;
}) {
  const now = Date.now();
  const minuteAgo = new Date(now - 60_000).toISOString();
  const [recent, running] = await Promise.all([
    backend.rows.countPredictionsSince({ userId: user.id, since: minuteAgo }),
    countRunning({ user, backend, model, since: new Date(now - RUNNING_WINDOW_MS).toISOString(), limit: limits.concurrent }),
  ]);
  if (running >= limits.concurrent) {
    throw new AppError(
      "rate_limited",
      `You already have ${running} image${running === 1 ? "" : "s"} generating. Wait for one to finish.`,
      { retryAfter: 5 },
    );
  }
  if (recent >= limits.createsPerMinute) {
    throw new AppError("rate_limited", `You can start ${limits.createsPerMinute} images a minute. Try again shortly.`, {
      retryAfter: 60,
    });
  }
}

/**
 * Rows are only as fresh as the last poll: a tab closed mid-generation leaves
 * its row "processing". Before saying no, ask the model about those rows.
 */
async function countRunning({
  user,
  backend,
  model,
  since,
  limit,
}: {
  user: SessionUser;
  backend: Backend;
  model: ImageModel;
  since: string;
  limit: number;
}): Promise<number> {
  const rows = await backend.rows.listRunningPredictions({ userId: user.id, since });
  if (rows.length < limit) return rows.length;
  const refreshed = await Promise.all(
    rows.map(async (row) => {
      const live = await model.get(row.id).catch(() => null);
      if (!live || !isFinalStatus(live.status)) return true;
      await backend.rows.updatePrediction({
        id: row.id,
        userId: user.id,
        status: live.status,
        error: live.error,
        completedAt: live.completed_at,
      });
      return false;
    }),
  );
  return refreshed.filter(Boolean).length;
}
