import { z } from "zod";
import { AppError } from "@/lib/errors";
import { PREDICTION_ID_PATTERN } from "@/lib/predictions/prediction-id";
import type { ModelPrediction, PredictionStatus } from "@/lib/predictions/types";

/**
 * Replicate's prediction JSON (from the API and from webhooks) read into the
 * port's ModelPrediction. Only what the app uses is checked; unknown fields are
 * ignored so a new field upstream breaks nothing.
 */

export const PREDICTION_STATUSES = ["starting", "processing", "succeeded", "failed", "canceled", "aborted"] as const satisfies readonly PredictionStatus[];

const predictionSchema = z.object({
  id: z.string().regex(PREDICTION_ID_PATTERN),
  model: z.string().nullish(),
  version: z.string().nullish(),
  input: z.record(z.string(), z.unknown()).nullish(),
  logs: z.string().nullish(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  status: z.enum(PREDICTION_STATUSES),
  created_at: z.string().nullish(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});

export function toModelPrediction(json: unknown): ModelPrediction {
  const parsed = predictionSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError("upstream_error", "Replicate answered with a prediction this app does not understand.", {
      cause: parsed.error,
    });
  }
  const p = parsed.data;
  return {
    id: p.id,
    model: p.model ?? "",
    version: p.version ?? null,
    input: p.input ?? {},
    logs: p.logs ?? null,
    output: normaliseOutput(p.output),
    error: readableError(p.error),
    status: p.status,
    created_at: p.created_at ?? new Date().toISOString(),
    started_at: p.started_at ?? null,
    completed_at: p.completed_at ?? null,
  };
}

/** SDXL answers a list of URLs; other models a single URL. Anything else is no output. */
function normaliseOutput(output: unknown): string[] | string | null {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return output.filter((item): item is string => typeof item === "string");
  return null;
}

/** Replicate's `error` is usually a sentence (e.g. an NSFW notice) but may be an object. */
export function readableError(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  if (typeof error === "string") return error.trim() || null;
  if (typeof error === "object") {
    for (const key of ["detail", "message", "title", "error"] as const) {
      const value = (error as Record<string, unknown>)[key];
      if (typeof value === "string" && value.trim()) return value.trim();
    }
  }
  const text = JSON.stringify(error) ?? String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

