"use client";

import { useId } from "react";
import { ElapsedTime } from "@/components/generate/elapsed-time";
import {
  isActiveStage,
  STAGE_DESCRIPTIONS,
  STAGE_LABELS,
  STAGE_STEPS,
  stepState,
  type Stage,
} from "@/components/generate/prediction-stage";
import type { PredictionState } from "@/components/generate/use-prediction";
import { AppLink } from "@/components/ui/app-link";
import { Button, buttonClasses } from "@/components/ui/button";
import { cx } from "@/components/ui/class-names";
import { Notice } from "@/components/ui/notice";
import { ProgressBar } from "@/components/ui/progress-bar";
import { useFocusOnMount } from "@/components/ui/use-focus-on-mount";
import type { ImageView } from "@/lib/predictions/types";

export type PredictionStatusProps = {
  state: PredictionState;
  /** What the person typed; used as alt text until the server's copy of the input is known. */
  prompt: string;
  /** The aspect ratio the placeholders take until the images arrive, e.g. from width and height. */
  placeholderRatio: number;
  onGenerateAnother: () => void;
};

/**
 * The panel for one prediction: stage, progress, elapsed time, then the image or
 * the error. Mount it with `key={predictionId}` so focus lands here for each new run.
 */
export function PredictionStatus({ state, prompt, placeholderRatio, onGenerateAnother }: PredictionStatusProps) {
  const { view, stage, percent, images, expectedImages, pollFailure, saveFailure } = state;
  const headingId = useId();
  const panelRef = useFocusOnMount<HTMLElement>();
  const stalled = Boolean(saveFailure) || Boolean(pollFailure?.fatal);
  const running = isActiveStage(stage) && !stalled;
  const label = STAGE_LABELS[stage];
  const served = view?.input.prompt;
  const alt = typeof served === "string" && served.trim() ? served : prompt;

  return (
    <section
      ref={panelRef}
      tabIndex={-1}
      aria-labelledby={headingId}
      className="space-y-4 rounded-xl border bg-surface p-4 shadow-xs sm:p-5"
    >
      <h2 id={headingId} className="sr-only">
        Generation status
      </h2>
      <div className="flex items-start justify-between gap-4">
        <div className="min-w-0 space-y-0.5">
          <p aria-live="polite" aria-atomic="true" className="flex items-center gap-2 text-sm font-semibold">
            <StageDot stage={stage} running={running} />
            <span className="sr-only">Status: </span>
            <span>{label}</span>
          </p>
          <p className="text-sm text-muted">{STAGE_DESCRIPTIONS[stage]}</p>
        </div>
        {view ? <ElapsedTime since={view.created_at} running={running} /> : null}
      </div>

      {running ? (
        <div className="space-y-3">
          <div className="flex items-center gap-3">
            <ProgressBar value={percent} label={label.toLowerCase()} estimate={state.percentIsEstimate} className="flex-1" />
            {state.cancel ? (
              <Button size="sm" variant="secondary" onClick={state.cancel} disabled={state.isCanceling}>
                {state.isCanceling ? "Canceling…" : "Cancel"}
              </Button>
            ) : null}
          </div>
          {state.percentIsEstimate ? <p className="text-xs text-muted">Estimated from this model&apos;s usual run time.</p> : null}
          <StageSteps stage={stage} />
        </div>
      ) : null}
      {state.cancelFailure ? (
        <p role="alert" className="text-sm text-danger">
          {state.cancelFailure}
        </p>
      ) : null}

      {pollFailure ? <PollFailureNotice failure={pollFailure} /> : null}

      {stage === "failed" ? (
        <FocusedNotice tone="error" title="Generation failed">
          {view?.error ?? "The model did not say why. Please try again."}
        </FocusedNotice>
      ) : null}
      {stage === "canceled" ? (
        <FocusedNotice title="Nothing was saved.">Change anything you like and generate again.</FocusedNotice>
      ) : null}

      {saveFailure ? (
        <FocusedNotice tone="error" title={expectedImages > 1 ? "The images could not be saved" : "The image could not be saved"}>
          <p>{saveFailure}</p>
          <Button size="sm" variant="secondary" className="mt-2" onClick={state.retrySave} disabled={state.isSaving}>
            {state.isSaving ? "Saving…" : "Try again"}
          </Button>
        </FocusedNotice>
      ) : null}

      {images.length > 0 || (running && expectedImages > 0) ? (
        <ImageGrid images={images} slots={running ? expectedImages : images.length} alt={alt} ratio={placeholderRatio} />
      ) : null}
      {stage === "done" ? (
        <div className="flex flex-wrap gap-2">
          <Button onClick={onGenerateAnother}>Generate another</Button>
          <AppLink href="/dashboard" className={buttonClasses({ variant: "secondary" })}>
            View in gallery
          </AppLink>
        </div>
      ) : null}
    </section>
  );
}

const GRID_COLUMNS: Record<number, string> = { 1: "grid-cols-1", 2: "grid-cols-2", 3: "grid-cols-2", 4: "grid-cols-2" };

/**
 * One slot per expected image, filled in output order as each is saved. One image
 * gets the whole panel; two to four share a two-column grid.
 */
function ImageGrid({ images, slots, alt, ratio }: { images: ImageView[]; slots: number; alt: string; ratio: number }) {
  const count = Math.max(slots, images.length);
  const byIndex = new Map(images.map((image) => [image.index, image]));
  // Saved images first by index, then a placeholder for each still to come.
  const indexes = [...new Set([...images.map((image) => image.index), ...Array.from({ length: count }, (_, i) => i)])]
    .sort((a, b) => a - b)
    .slice(0, count);
  return (
    <ul aria-label="Images" className={cx("grid gap-3", GRID_COLUMNS[count] ?? "grid-cols-2 sm:grid-cols-3")}>
      {indexes.map((index, position) => {
        const image = byIndex.get(index);
        const name = count > 1 ? `${alt} (image ${position + 1} of ${count})` : alt;
        return (
          <li key={index} className="min-w-0">
            {image ? (
              <ImageResult image={image} alt={name} large={count === 1} />
            ) : (
              <ImagePlaceholder ratio={ratio} label={count > 1 ? `Image ${position + 1} of ${count}` : "The image"} />
            )}
          </li>
        );
      })}
    </ul>
  );
}

function ImageResult({ image, alt, large }: { image: ImageView; alt: string; large: boolean }) {
  return (
    <figure className="space-y-2">
      {/* A plain img: the URL is an authenticated same-origin route or a short-lived signed URL,
          neither of which the image optimizer can fetch on the person's behalf. */}
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img
        src={image.url}
        alt={alt}
        width={image.width}
        height={image.height}
        className={cx("mx-auto h-auto w-auto max-w-full rounded-lg border bg-surface-strong", large ? "max-h-[75vh]" : "max-h-[40vh]")}
      />
      <figcaption className="flex flex-wrap items-center justify-between gap-2">
        <span className="font-mono text-xs tabular-nums text-muted">
          {image.width} × {image.height}
        </span>
        <a
          href={image.downloadUrl}
          download
          className={buttonClasses({ variant: "ghost", size: "sm" })}
          aria-label={`Download ${alt}`}
        >
          Download
        </a>
      </figcaption>
    </figure>
  );
}

/** Holds the image's place, in the shape asked for, until it is saved. */
function ImagePlaceholder({ ratio, label }: { ratio: number; label: string }) {
  return (
    <div
      role="img"
      aria-label={`${label}, not ready yet`}
      className="mx-auto flex animate-pulse items-center justify-center rounded-lg border border-dashed bg-surface-strong font-mono text-xs text-muted"
      // Same shape as the image to come, capped so a portrait fits on screen.
      style={{ aspectRatio: String(ratio), width: `min(100%, calc(75vh * ${ratio}))` }}
    >
      <span aria-hidden="true">{label === "The image" ? null : label.replace(/ of \d+$/, "")}</span>
    </div>
  );
}

function FocusedNotice(props: Parameters<typeof Notice>[0]) {
  const ref = useFocusOnMount<HTMLDivElement>();
  return <Notice ref={ref} tabIndex={-1} role="alert" {...props} />;
}

function PollFailureNotice({ failure }: { failure: NonNullable<PredictionState["pollFailure"]> }) {
  if (!failure.fatal) {
    return <p className="text-xs text-muted">Lost contact with the server. Retrying…</p>;
  }
  if (failure.status === 401) {
    return (
      <FocusedNotice tone="error" title="Your session has expired. Sign in again.">
        <AppLink href="/login?next=/dashboard/generate" className="font-medium text-accent underline underline-offset-2">
          Sign in
        </AppLink>
        <span> Anything that finishes is still saved to your gallery.</span>
      </FocusedNotice>
    );
  }
  return (
    <FocusedNotice tone="error" title="This prediction is no longer available.">
      {failure.message}
    </FocusedNotice>
  );
}

/** The four stages in a row, so the wait has a shape: what is done, what is happening, what comes next. */
function StageSteps({ stage }: { stage: Stage }) {
  return (
    <ol aria-label="Stages" className="flex flex-wrap items-center gap-x-1 gap-y-1 text-xs sm:gap-x-1.5">
      {STAGE_STEPS.map((step, index) => {
        const state = stepState(step, stage);
        return (
          <li key={step} aria-current={state === "current" ? "step" : undefined} className="flex items-center gap-1.5">
            {index > 0 ? (
              <span aria-hidden="true" className="hidden h-px w-5 bg-border-strong sm:block" />
            ) : null}
            <span
              className={cx(
                "flex items-center gap-1 rounded-full px-1.5 py-0.5 sm:px-2",
                state === "current" && "bg-accent-surface font-medium text-foreground",
                state === "done" && "text-foreground",
                state === "upcoming" && "text-muted",
              )}
            >
              {state === "done" ? (
                <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3 text-success" fill="none" stroke="currentColor" strokeWidth="2">
                  <path d="m3.5 8.5 3 3 6-7" strokeLinecap="round" strokeLinejoin="round" />
                </svg>
              ) : null}
              {STAGE_LABELS[step]}
              {state === "done" ? <span className="sr-only"> (done)</span> : null}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

function StageDot({ stage, running }: { stage: Stage; running: boolean }) {
  const color =
    stage === "failed"
      ? "bg-danger"
      : stage === "done"
        ? "bg-success"
        : stage === "canceled" || !running
          ? "bg-muted"
          : "bg-accent";
  return (
    <span aria-hidden="true" className="relative flex size-2.5">
      {running ? <span className={cx("absolute inset-0 animate-ping rounded-full opacity-60", color)} /> : null}
      <span className={cx("relative size-2.5 rounded-full", color)} />
    </span>
  );
}
