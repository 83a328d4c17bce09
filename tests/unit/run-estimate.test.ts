import { describe, expect, it } from "vitest";
import { AT_TYPICAL, CEILING, estimateProgress, TYPICAL_RUN_WINDOW, typicalRunMs } from "@/lib/predictions/run-estimate";

const TYPICALS = [1, 250, 4_000, 12_345, 60_000, 3_600_000];

// Every typical duration against elapsed times from before the start to far past it.
function grid(typicalMs: number): number[] {
  const points = [-1, 0];
  for (let step = 1; step <= 4000; step++) points.push((typicalMs * step) / 400);
  points.push(typicalMs * 1e6, Number.MAX_VALUE, Infinity);
  return points;
}

describe("estimateProgress", () => {
  it("is 0 at the start, before it, and for an elapsed time that is not a number", () => {
    for (const elapsedMs of [0, -1, -60_000, -Infinity, Number.NaN]) {
      expect(estimateProgress({ elapsedMs, typicalMs: 10_000 })).toBe(0);
    }
  });

  it("rises in proportion to the typical duration and reaches 0.9 at it", () => {
    expect(estimateProgress({ elapsedMs: 2_500, typicalMs: 10_000 })).toBeCloseTo(0.225, 10);
    expect(estimateProgress({ elapsedMs: 5_000, typicalMs: 10_000 })).toBeCloseTo(0.45, 10);
    expect(estimateProgress({ elapsedMs: 10_000, typicalMs: 10_000 })).toBe(AT_TYPICAL);
  });

  it("slows past the typical duration: about 0.95 at twice it, still short of the ceiling at ten times", () => {
    expect(estimateProgress({ elapsedMs: 20_000, typicalMs: 10_000 })).toBeCloseTo(0.95, 2);
    const atTen = estimateProgress({ elapsedMs: 100_000, typicalMs: 10_000 });
    expect(atTen).toBeGreaterThan(0.979);
    expect(atTen).toBeLessThan(CEILING);
  });

  it("never decreases as time passes, for any typical duration", () => {
    for (const typicalMs of TYPICALS) {
      let previous = -Infinity;
      for (const elapsedMs of grid(typicalMs)) {
        const progress = estimateProgress({ elapsedMs, typicalMs });
        expect(progress, `${elapsedMs} of ${typicalMs}`).toBeGreaterThanOrEqual(previous);
        previous = progress;
      }
    }
  });

  it("keeps moving for ten times the typical duration, so a slow run still shows life", () => {
    for (const typicalMs of TYPICALS) {
      const points = grid(typicalMs).filter((elapsedMs) => elapsedMs > 0 && elapsedMs <= typicalMs * 10);
      for (let index = 1; index < points.length; index++) {
        const before = estimateProgress({ elapsedMs: points[index - 1], typicalMs });
        expect(estimateProgress({ elapsedMs: points[index], typicalMs }), `${points[index]} of ${typicalMs}`).toBeGreaterThan(before);
      }
    }
  });

  it("stays between 0 and the ceiling, below 1, however long the run", () => {
    for (const typicalMs of TYPICALS) {
      for (const elapsedMs of grid(typicalMs)) {
        const progress = estimateProgress({ elapsedMs, typicalMs });
        expect(progress).toBeGreaterThanOrEqual(0);
        expect(progress).toBeLessThanOrEqual(CEILING);
        expect(progress).toBeLessThan(1);
      }
    }
    expect(estimateProgress({ elapsedMs: Infinity, typicalMs: 10_000 })).toBe(CEILING);
  });

  it("joins the two phases without a jump at the typical duration", () => {
    const typicalMs = 10_000;
    const justBefore = estimateProgress({ elapsedMs: typicalMs - 1, typicalMs });
    const justAfter = estimateProgress({ elapsedMs: typicalMs + 1, typicalMs });
    expect(justAfter - justBefore).toBeLessThan(0.001);
  });

  it("stays at 0 without a usable typical duration", () => {
    for (const typicalMs of [0, -5_000, Number.NaN, Infinity]) {
      expect(estimateProgress({ elapsedMs: 5_000, typicalMs })).toBe(0);
    }
  });
});

describe("typicalRunMs", () => {
  it("is the median of the samples, odd or even in number", () => {
    expect(typicalRunMs([9_000, 7_000, 8_000], 1)).toBe(8_000);
    expect(typicalRunMs([9_000, 7_000, 8_000, 10_000], 1)).toBe(8_500);
    expect(typicalRunMs([6_500], 1)).toBe(6_500);
  });

  it("is not moved by a cold start or a stuck run", () => {
    expect(typicalRunMs([8_000, 8_200, 95_000, 7_900, 8_100, 600_000, 8_050], 1)).toBe(8_100);
    expect(typicalRunMs([8_000, 8_200, 1, 7_900, 8_100], 1)).toBe(8_000);
  });

  it("uses only the most recent runs, so a model that got faster is followed", () => {
    const before = Array.from({ length: 50 }, () => 20_000);
    const after = Array.from({ length: TYPICAL_RUN_WINDOW }, () => 5_000);
    expect(typicalRunMs([...before, ...after], 1)).toBe(5_000);
    // Half the window new: the median is between the old and the new.
    const half = Array.from({ length: TYPICAL_RUN_WINDOW / 2 }, () => 5_000);
    expect(typicalRunMs([...before, ...half], 1)).toBe(12_500);
  });

  it("drops samples that are not finite or not positive before taking the window", () => {
    const slips = [Number.NaN, Infinity, -Infinity, 0, -3_000];
    const valid = [4_000, 5_000, 6_000];
    expect(typicalRunMs([...valid, ...Array.from({ length: 30 }, (_, index) => slips[index % slips.length])], 1)).toBe(5_000);
  });

  it("falls back when there is nothing usable", () => {
    expect(typicalRunMs([], 12_000)).toBe(12_000);
    expect(typicalRunMs([Number.NaN, 0, -1, Infinity], 12_000)).toBe(12_000);
  });

  it("leaves the caller's samples as they were", () => {
    const samples = [9_000, 7_000, 8_000];
    typicalRunMs(samples, 1);
    expect(samples).toEqual([9_000, 7_000, 8_000]);
  });
});
