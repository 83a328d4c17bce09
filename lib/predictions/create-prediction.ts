import { AppError } from "@/lib/errors";
import type { InputLimits } from "@/lib/inputs/check-input-image";
import { resolveInputs } from "@/lib/inputs/input-images";
import type { InputBackend } from "@/lib/inputs/ports";
import type { ImageModel } from "@/lib/models/image-model";
import type { RunnableModel } from "@/lib/models/model-catalog";
import { SEED_INPUT } from "@/lib/models/input-policy";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import { toPredictionView } from "@/lib/predictions/prediction-view";
import { isFinalStatus, type PredictionView } from "@/lib/predictions/types";

export type CreateLimits = { createsPerMinute: number; concurrent: number };

/**
 * Checks the input against the model's own schema (422 with field errors, before
 * any model call), checks the person's limits (kept in the database, so they
 * hold across server instances), starts the prediction with exactly the checked
 * input, and records its owner, model and input before answering.
 */
export async function createPrediction({
  user,
  backend,
  engine,
  model,
  input,
  limits,
  webhookUrl,
  inputs,
}: {
  user: SessionUser;
  backend: Backend;
  engine: ImageModel;
  model: RunnableModel;
  input: Record<string, unknown>;
  limits: CreateLimits;
  webhookUrl?: string;
  /** Where `input:<id>` references are looked up; without it, an input naming one is refused. */
  inputs?: { backend: InputBackend; limits: InputLimits };
}): Promise<PredictionView> {
  const checked = model.validate(input);
  if (!checked.ok) {
    throw new AppError("invalid_input", `These settings are not valid for ${model.displayName}.`, { fields: checked.fields });
  }
  await enforceLimits({ user, backend, model: engine, limits });

  // Image inputs go to the model as its own file references; the row keeps the `input:<id>` references.
  const { sent, used } = await resolveInputs({ user, inputs: inputs?.backend, engine, input: checked.input, limits: inputs?.limits });
  // Create is not idempotent and costs money: it is never retried here.
  const prediction = await engine.create({ target: model.target, input: sent, webhookUrl });
  // The model reports the seed it used in its input (the local model) or, later, in its logs.
  const seed = [checked.input[SEED_INPUT], prediction.input[SEED_INPUT]].find((value): value is number => typeof value === "number") ?? null;
  const outputs = checked.input.num_outputs;

  try {
    const row = await backend.rows.insertPrediction({
      id: prediction.id,
      user_id: user.id,
      model: model.reference,
      model_name: model.displayName,
      model_key: model.key,
      input: checked.input,
      seed,
      output_count: typeof outputs === "number" && outputs >= 1 ? Math.min(outputs, 16) : defaultOutputCount(model),
      status: prediction.status,
    });
    if (used.length > 0) await inputs!.backend.rows.recordPredictionInputs({ predictionId: prediction.id, userId: user.id, inputs: used });
    return toPredictionView(row, prediction, []);
  } catch (error) {
    // Without its row nobody could ever see or save this prediction: stop paying for it.
    await engine.cancel(prediction.id).catch(() => undefined);
    throw error;
  }
}

/** With num_outputs left to the model, its own default says how many images come back. */
function defaultOutputCount(model: RunnableModel): number {
  const declared = model.inputs.fields.find((field) => field.name === "num_outputs")?.default;
  return typeof declared === "number" && declared >= 1 ? Math.min(declared, 16) : 1;
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
