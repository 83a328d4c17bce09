import type { PredictionView } from "@/lib/predictions/types";

/**
 * What the person sees a prediction doing. It folds Replicate's statuses and the
 * app's own "all saved yet?" fact into one value, so the UI never has to combine
 * `status`, `started_at` and `images` itself.
 */
export type Stage = "idle" | "queued" | "starting" | "generating" | "saving" | "done" | "failed" | "canceled";

export const STAGE_LABELS: Record<Stage, string> = {
  idle: "Ready",
  queued: "Queued",
  starting: "Starting",
  generating: "Generating",
  saving: "Saving",
  done: "Done",
  failed: "Failed",
  canceled: "Canceled",
};

export const STAGE_DESCRIPTIONS: Record<Stage, string> = {
  idle: "Describe an image and press Generate.",
  queued: "Waiting for the model to pick up your request.",
  starting: "The model is starting up.",
  generating: "The model is drawing.",
  saving: "Saving to your gallery.",
  done: "Saved to your gallery.",
  failed: "The model could not make this image.",
  canceled: "This prediction was canceled before it finished.",
};

/** The stages a run passes through, in order, for the step list under the progress bar. */
export const STAGE_STEPS = ["queued", "starting", "generating", "saving"] as const satisfies readonly Stage[];

export type StepState = "done" | "current" | "upcoming";

/**
 * Where `step` stands while the run is at `stage`. Steps a run skipped (Replicate may
 * report "processing" before the client ever saw "starting") count as done.
 */
export function stepState(step: (typeof STAGE_STEPS)[number], stage: Stage): StepState {
  const at = stage === "done" ? STAGE_STEPS.length : STAGE_STEPS.indexOf(stage as (typeof STAGE_STEPS)[number]);
  const index = STAGE_STEPS.indexOf(step);
  if (at < 0) return "upcoming";
  return index < at ? "done" : index === at ? "current" : "upcoming";
}

export function derivePredictionStage(view: PredictionView | undefined | null): Stage {
  if (!view) return "idle";
  switch (view.status) {
    // Replicate sets started_at when a worker takes the prediction; before that it waits in a queue.
    case "starting":
      return view.started_at ? "starting" : "queued";
    case "processing":
      return "generating";
    case "succeeded":
      return allImagesSaved(view) ? "done" : "saving";
    case "failed":
      return "failed";
    case "canceled":
    case "aborted":
      return "canceled";
  }
}

/** Every image the model was asked for is saved: nothing more will arrive. */
export function allImagesSaved(view: PredictionView): boolean {
  return view.images.length >= view.expectedImages;
}

/** Stages in which the prediction still changes on its own, so the UI keeps watching. */
export function isActiveStage(stage: Stage): boolean {
  return stage === "queued" || stage === "starting" || stage === "generating" || stage === "saving";
}

/**
 * The bar's percent. The model's own progress while it runs (0 until it reports any);
 * full once the model has finished, even while the file is still being saved.
 */
export function progressPercent(view: PredictionView | undefined | null): number {
  if (!view) return 0;
  if (view.status === "succeeded") return 100;
  const progress = view.progress ?? 0;
  return Math.round(Math.min(1, Math.max(0, progress)) * 100);
}
