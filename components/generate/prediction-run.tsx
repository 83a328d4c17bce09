"use client";

import { useLayoutEffect } from "react";
import { isActiveStage } from "@/components/generate/prediction-stage";
import { PredictionStatus } from "@/components/generate/prediction-status";
import { usePrediction } from "@/components/generate/use-prediction";
import type { PredictionView, SaveImageResult } from "@/lib/predictions/types";

export type PredictionRunProps = {
  created: PredictionView;
  pollIntervalMs: number;
  saveImage: (predictionId: string) => Promise<SaveImageResult>;
  /** Told whether the run still holds the form: false once it is over or stuck (a failed save, a lost prediction). */
  onActiveChange: (active: boolean) => void;
  prompt: string;
  placeholderRatio: number;
  onGenerateAnother: () => void;
};

/**
 * One prediction followed to the end and shown. Everything a run needs (the
 * polling, the save, the status panel) lives behind this component, which the
 * form loads with its first submit: a visit that generates nothing skips it.
 * Mount it with `key={predictionId}`.
 */
export function PredictionRun({ created, pollIntervalMs, saveImage, onActiveChange, ...shown }: PredictionRunProps) {
  const prediction = usePrediction({ created, pollIntervalMs, saveImage });
  const stalled = Boolean(prediction.saveFailure) || Boolean(prediction.pollFailure?.fatal);
  const active = isActiveStage(prediction.stage) && !stalled;
  // Before paint, so the form is handed back in the same frame the end of the run is shown.
  useLayoutEffect(() => onActiveChange(active), [active, onActiveChange]);
  return <PredictionStatus state={prediction} {...shown} />;
}
