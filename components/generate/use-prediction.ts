"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import useSWR from "swr";
import {
  cancelPrediction,
  fetchPrediction,
  predictionUrl,
  RequestError,
  type RequestFailure,
} from "@/components/generate/api-client";
import { allImagesSaved, derivePredictionStage, progressPercent, type Stage } from "@/components/generate/prediction-stage";
import type { ImageView, PredictionView, SaveImageResult } from "@/lib/predictions/types";

/** Answers that polling again cannot change: the session is gone or the prediction is not ours. */
const FATAL_STATUSES = new Set([401, 403, 404]);
/** Bounds on the server's polling hint: never busier than this, never so slow a finished image waits long. */
const MIN_POLL_MS = 500;
const MAX_POLL_MS = 10_000;

export type UsePredictionOptions = {
  /** The prediction `POST /api/replicate` answered with; null before the first submit. */
  created: PredictionView | null;
  pollIntervalMs: number;
  saveImage: (predictionId: string) => Promise<SaveImageResult>;
};

export type PredictionState = {
  view: PredictionView | null;
  stage: Stage;
  percent: number;
  /** True when the percent is estimated from the model's usual run time, not reported by it. */
  percentIsEstimate: boolean;
  /** The images saved so far, by output index. */
  images: ImageView[];
  /** How many images to hold a place for. */
  expectedImages: number;
  /** Polling trouble. `fatal` ones stop polling; others are retried by SWR. */
  pollFailure: (RequestFailure & { fatal: boolean }) | null;
  saveFailure: string | null;
  isSaving: boolean;
  retrySave: () => void;
  /** Present while the model may still be stopped (before it has finished). */
  cancel: (() => void) | null;
  isCanceling: boolean;
  cancelFailure: string | null;
};

type Saved = { predictionId: string; images: ImageView[] };
type PredictionMessage = { predictionId: string; message: string };

/**
 * Follows one prediction to the end: polls its status with SWR, asks the server
 * action to save the images once the model has succeeded, and stops polling as
 * soon as nothing more can change (a final failure, a failed save, or every
 * expected image known, from the poll or the save, whichever told us first).
 */
export function usePrediction({ created, pollIntervalMs, saveImage }: UsePredictionOptions): PredictionState {
  const id = created?.id ?? null;
  const [saved, setSaved] = useState<Saved | null>(null);
  const [saveError, setSaveError] = useState<PredictionMessage | null>(null);
  const [savingId, setSavingId] = useState<string | null>(null);
  const [cancelingId, setCancelingId] = useState<string | null>(null);
  const [cancelError, setCancelError] = useState<PredictionMessage | null>(null);
  const [canceledId, setCanceledId] = useState<string | null>(null);
  const requestedSave = useRef<string | null>(null);

  const savedImages = saved && saved.predictionId === id ? saved.images : null;
  const saveFailure = saveError && saveError.predictionId === id ? saveError.message : null;
  // A cancel answer arrives outside the polling loop; this stops the poll already scheduled.
  // The save's answer holds every image, so once it is in nothing is left to poll for.
  const pollingDone = savedImages !== null || Boolean(saveFailure) || (id !== null && canceledId === id);

  // SWR calls this with the freshest data after every poll, so no request follows a final answer.
  // The server says when asking again can tell something new (pollAfterMs): it
  // reads the model once per interval for everyone, widening as a run ages.
  const refreshInterval = useCallback(
    (latest: PredictionView | undefined) => {
      const view = latest ?? created;
      if (pollingDone || !shouldPoll(view)) return 0;
      const hint = view?.pollAfterMs;
      return typeof hint === "number" && Number.isFinite(hint) ? Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, hint)) : pollIntervalMs;
    },
    [pollingDone, pollIntervalMs, created],
  );

  const { data, error, mutate } = useSWR<PredictionView, unknown>(id ? predictionUrl(id) : null, fetchPrediction, {
    fallbackData: created ?? undefined,
    // The POST answer is as fresh as it gets; the first poll waits one interval like the rest.
    revalidateOnMount: false,
    refreshInterval,
    // Each poll must reach the server; SWR's default 2 s dedupe would halve a 1 s poll rate.
    dedupingInterval: Math.floor(pollIntervalMs / 2),
    revalidateOnFocus: false,
    revalidateOnReconnect: false,
    // SWR's default backoff doubles without a ceiling (minutes apart after a short outage);
    // a stuck "Retrying…" is worse than a few extra requests, so cap it at 10 s.
    onErrorRetry: (err, _key, _config, revalidate, { retryCount }) => {
      if (isFatal(err)) return;
      setTimeout(() => revalidate({ retryCount }), Math.min(10_000, pollIntervalMs * 2 ** Math.min(retryCount, 8)));
    },
  });

  const polled = id && data && data.id === id ? data : null;
  const view = polled ? withSaved(polled, savedImages) : null;
  const stage = derivePredictionStage(view);

  const runSave = useCallback(
    (predictionId: string) => {
      setSavingId(predictionId);
      setSaveError(null);
      saveImage(predictionId)
        .then((result) => {
          if (result.ok) setSaved({ predictionId, images: result.images });
          else setSaveError({ predictionId, message: result.error.message });
        })
        .catch(() => {
          setSaveError({ predictionId, message: "Could not save the images. Check your connection and try again." });
        })
        .finally(() => setSavingId((current) => (current === predictionId ? null : current)));
    },
    [saveImage],
  );

  // Save exactly once per prediction; the ref survives StrictMode's double effect run.
  useEffect(() => {
    if (stage !== "saving" || !id || requestedSave.current === id) return;
    requestedSave.current = id;
    runSave(id);
  }, [stage, id, runSave]);

  const retrySave = useCallback(() => {
    if (id) runSave(id);
  }, [id, runSave]);

  const cancel = useCallback(() => {
    if (!id) return;
    setCancelingId(id);
    setCancelError(null);
    cancelPrediction(id)
      .then(async (answer) => {
        await mutate(answer, { revalidate: false });
        // "succeeded" means it finished first: keep polling so the save can complete.
        if (answer.status !== "succeeded") setCanceledId(id);
      })
      .catch((err: unknown) => {
        const message = err instanceof RequestError ? err.failure.message : "Could not cancel. Please try again.";
        setCancelError({ predictionId: id, message });
      })
      .finally(() => setCancelingId(null));
  }, [id, mutate]);

  const failure = error instanceof RequestError ? error.failure : error ? { status: null, code: "unknown", message: String(error) } : null;

  return {
    view,
    stage,
    percent: progressPercent(view),
    percentIsEstimate: Boolean(view?.progressIsEstimate) && view?.status !== "succeeded",
    images: view?.images ?? [],
    expectedImages: view?.expectedImages ?? 0,
    pollFailure: failure ? { ...failure, fatal: isFatal(error) } : null,
    saveFailure,
    isSaving: savingId !== null && savingId === id,
    retrySave,
    cancel: stage === "queued" || stage === "starting" || stage === "generating" ? cancel : null,
    isCanceling: cancelingId !== null && cancelingId === id,
    cancelFailure: cancelError && cancelError.predictionId === id ? cancelError.message : null,
  };
}

/**
 * The poll's view with the save action's images folded in, by output index. The
 * action answers with every image it saved, so its answer is the complete set: a
 * model that returned fewer images than asked for leaves no placeholder waiting.
 */
function withSaved(view: PredictionView, saved: ImageView[] | null): PredictionView {
  if (!saved) return view;
  const byIndex = new Map([...view.images, ...saved].map((image) => [image.index, image]));
  const images = [...byIndex.values()].sort((a, b) => a.index - b.index);
  return { ...view, images, expectedImages: images.length };
}

function shouldPoll(view: PredictionView | null | undefined): boolean {
  if (!view) return true;
  if (view.status === "succeeded") return !allImagesSaved(view);
  return view.status === "starting" || view.status === "processing";
}

function isFatal(error: unknown): boolean {
  return error instanceof RequestError && error.failure.status !== null && FATAL_STATUSES.has(error.failure.status);
}
