import { describe, expect, it } from "vitest";
import {
  derivePredictionStage,
  isActiveStage,
  progressPercent,
  STAGE_LABELS,
  STAGE_STEPS,
  stepState,
  type Stage,
} from "@/components/generate/prediction-stage";
import type { PredictionView } from "@/lib/predictions/types";

const base: PredictionView = {
  id: "p",
  status: "starting",
  progress: null,
  progressIsEstimate: false,
  error: null,
  model: "local-preview",
  modelName: "Local preview",
  modelKey: "local-preview",
  input: { prompt: "x", num_outputs: 2 },
  seed: null,
  created_at: "2025-01-01T00:00:00.000Z",
  started_at: null,
  completed_at: null,
  expectedImages: 2,
  images: [],
};
const image = (index: number) => ({ id: `i${index}`, index, url: `/api/files/u/p-${index}.png`, width: 1024, height: 1024 });

describe("derivePredictionStage", () => {
  it.each([
    ["nothing submitted", undefined, "idle"],
    ["starting, not yet picked up", base, "queued"],
    ["starting on a worker", { ...base, started_at: "2025-01-01T00:00:01.000Z" }, "starting"],
    ["processing", { ...base, status: "processing" }, "generating"],
    ["succeeded, not saved yet", { ...base, status: "succeeded" }, "saving"],
    ["succeeded, one of two saved", { ...base, status: "succeeded", images: [image(0)] }, "saving"],
    ["succeeded and every image saved", { ...base, status: "succeeded", images: [image(0), image(1)] }, "done"],
    ["failed", { ...base, status: "failed", error: "boom" }, "failed"],
    ["canceled", { ...base, status: "canceled" }, "canceled"],
    ["aborted", { ...base, status: "aborted" }, "canceled"],
  ] as const)("%s → %s", (_name, view, stage) => {
    expect(derivePredictionStage(view as PredictionView | undefined)).toBe(stage);
  });

  it("treats only the stages that still change on their own as active", () => {
    expect(["queued", "starting", "generating", "saving"].every((s) => isActiveStage(s as never))).toBe(true);
    expect(["idle", "done", "failed", "canceled"].some((s) => isActiveStage(s as never))).toBe(false);
  });
});

describe("progressPercent", () => {
  it("is 0 until the model reports progress", () => {
    expect(progressPercent({ ...base, status: "processing" })).toBe(0);
  });

  it("rounds the model's fraction to a whole percent and clamps it", () => {
    expect(progressPercent({ ...base, status: "processing", progress: 0.456 })).toBe(46);
    expect(progressPercent({ ...base, status: "processing", progress: 1.7 })).toBe(100);
    expect(progressPercent({ ...base, status: "processing", progress: -0.2 })).toBe(0);
  });

  it("is full once the model has succeeded, even while saving", () => {
    expect(progressPercent({ ...base, status: "succeeded", progress: 0.9 })).toBe(100);
  });
});

describe("stage steps", () => {
  const row = (stage: Stage) => STAGE_STEPS.map((step) => stepState(step, stage));

  it("lists the four stages a run goes through, with the labels people see", () => {
    expect(STAGE_STEPS.map((step) => STAGE_LABELS[step])).toEqual(["Queued", "Starting", "Generating", "Saving"]);
  });

  it("marks earlier steps done, the stage itself current and later ones upcoming", () => {
    expect(row("queued")).toEqual(["current", "upcoming", "upcoming", "upcoming"]);
    expect(row("starting")).toEqual(["done", "current", "upcoming", "upcoming"]);
    expect(row("generating")).toEqual(["done", "done", "current", "upcoming"]);
    expect(row("saving")).toEqual(["done", "done", "done", "current"]);
    expect(row("done")).toEqual(["done", "done", "done", "done"]);
  });

  it("shows nothing as reached before a run starts or after it failed", () => {
    expect(row("idle")).toEqual(["upcoming", "upcoming", "upcoming", "upcoming"]);
    expect(row("failed")).toEqual(["upcoming", "upcoming", "upcoming", "upcoming"]);
  });
});
