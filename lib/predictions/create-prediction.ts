import { AppError } from "@/lib/errors";
import type { InputLimits } from "@/lib/inputs/check-input-image";
import { resolveInputs } from "@/lib/inputs/input-images";
import type { InputBackend } from "@/lib/inputs/ports";
import type { ImageModel } from "@/lib/models/image-model";
import type { RunnableModel } from "@/lib/models/model-catalog";
import { SEED_INPUT } from "@/lib/models/input-policy";
import type { InputValues } from "@/lib/models/input-fields";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import { toPredictionView } from "@/lib/predictions/prediction-view";
import { isFinalStatus, type PredictionView } from "@/lib/predictions/types";

export type CreateLimits = { createsPerMinute: number; concurrent: number };

export type CreatePredictionArgs = {
  user: SessionUser;
  backend: Backend;
  engine: ImageModel;
  model: RunnableModel;
  input: Record<string, unknown>;
  limits: CreateLimits;
  webhookUrl?: string;
  /** Where `input:<id>` references are looked up; without it, an input naming one is refused. */
  inputs?: { backend: InputBackend; limits: InputLimits };
};

/**
 * Checks the input against the model's own schema (422 with field errors, before
 * any model call), reserves a place within the person's limits (atomically in
 * the database, so they hold across server instances and simultaneous
 * requests), starts the prediction with exactly the checked input, and records
 * its owner, model and input before answering.
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
}: CreatePredictionArgs): Promise<PredictionView> {
  const checked = model.validate(input);
  if (!checked.ok) {
    throw new AppError("invalid_input", `These settings are not valid for ${model.displayName}.`, { fields: checked.fields });
  }
  const reservation = await reserveSlot({ user, backend, model: engine, limits });
  try {
    return await startAndRecord({ user, backend, engine, model, checked: checked.input, webhookUrl, inputs });
  } finally {
    // The row (when there is one) counts from now on; without one the place is free again.
    // A release that fails only holds the place until the reservation expires.
    await backend.rows.releaseReservation({ id: reservation }).catch((error: unknown) => console.warn("Could not release a prediction reservation", error));
  }
}

/** Starts the run with the checked input and writes its row; the place is already held. */
async function startAndRecord({
  user,
  backend,
  engine,
  model,
  checked,
  webhookUrl,
  inputs,
}: Omit<CreatePredictionArgs, "input" | "limits"> & { checked: InputValues }): Promise<PredictionView> {
  // Image inputs go to the model as its own file references; the row keeps the `input:<id>` references.
  const { sent, used } = await resolveInputs({ user, inputs: inputs?.backend, engine, input: checked, limits: inputs?.limits });
  // Create is not idempotent and costs money: it is never retried here (the engine waits out only a short 429).
  const prediction = await engine.create({ target: model.target, input: sent, webhookUrl });
  // The model reports the seed it used in its input (the local model) or, later, in its logs.
  const seed = [checked[SEED_INPUT], prediction.input[SEED_INPUT]].find((value): value is number => typeof value === "number") ?? null;
  const outputs = checked.num_outputs;

  try {
    const row = await backend.rows.insertPrediction({
      id: prediction.id,
      user_id: user.id,
      model: model.reference,
      model_name: model.displayName,
      model_key: model.key,
      input: checked,
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

/**
 * Holds one of the person's places in the database (lib/predictions/ports.ts
 * reservePrediction): counted and taken in one transaction under a per-person
 * lock, so simultaneous creates on any number of server instances cannot all
 * pass. Returns the reservation's id; refuses with a 429 past a limit.
 */
async function reserveSlot({ user, backend, model, limits }: { user: SessionUser; backend: Backend; model: ImageModel; limits: CreateLimits }): Promise<string> {
  const ask = () => backend.rows.reservePrediction({ concurrent: limits.concurrent, perMinute: limits.createsPerMinute });
  let reservation = await ask();
  // The rows may only look busy (a tab closed mid-generation): ask the model, then try once more.
  if (!reservation.ok && reservation.reason === "running" && (await refreshStaleRunning({ user, backend, model })) > 0) {
    reservation = await ask();
  }
  if (reservation.ok) return reservation.id;
  if (reservation.reason === "running") {
    const running = reservation.count;
    throw new AppError(
      "rate_limited",
      `You already have ${running} image${running === 1 ? "" : "s"} generating. Wait for one to finish.`,
      { retryAfter: 5 },
    );
  }
  throw new AppError("rate_limited", `You can start ${limits.createsPerMinute} images a minute. Try again shortly.`, { retryAfter: 60 });
}

/**
 * Rows are only as fresh as the last poll: a tab closed mid-generation leaves
 * its row "processing". Asks the model about each such row and records the
 * ones that have finished; returns how many did.
 */
async function refreshStaleRunning({ user, backend, model }: { user: SessionUser; backend: Backend; model: ImageModel }): Promise<number> {
  const since = new Date(Date.now() - RUNNING_WINDOW_MS).toISOString();
  const rows = await backend.rows.listRunningPredictions({ userId: user.id, since });
  const finished = await Promise.all(
    rows.map(async (row) => {
      const live = await model.get(row.id).catch(() => null);
      if (!live || !isFinalStatus(live.status)) return false;
      await backend.rows.updatePrediction({
        id: row.id,
        userId: user.id,
        status: live.status,
        error: live.error,
        completedAt: live.completed_at,
      });
      return true;
    }),
  );
  return finished.filter(Boolean).length;
}
