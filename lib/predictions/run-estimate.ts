/**
 * Progress for a model whose logs carry no step counts, estimated from how
 * long its runs usually take. It rises steadily to AT_TYPICAL at the typical
 * duration, then creeps towards CEILING without reaching it: a bar that sits
 * at 100% while the run goes on says something false, one that slows down
 * past the usual time only says it is taking longer than usual.
 */

export const AT_TYPICAL = 0.9;
export const CEILING = 0.98;

/**
 * The estimated fraction done after `elapsedMs` of a run that typically takes
 * `typicalMs`: 0 at or before the start, linear to AT_TYPICAL at `typicalMs`,
 * then an exponential ease with a time constant of `typicalMs` itself, so a
 * run twice as long as usual shows about 0.95. Never decreases as time passes
 * and never passes CEILING, which only a run dozens of times longer than usual
 * gets to. Without a usable typical duration there is nothing to estimate
 * from, and it stays at 0.
 */
export function estimateProgress({ elapsedMs, typicalMs }: { elapsedMs: number; typicalMs: number }): number {
  if (!(typicalMs > 0) || !Number.isFinite(typicalMs)) return 0;
  if (!(elapsedMs > 0)) return 0;
  const ratio = elapsedMs / typicalMs;
  if (ratio <= 1) return AT_TYPICAL * ratio;
  // Far past the typical time exp() underflows to 0, which still leaves CEILING.
  return CEILING - (CEILING - AT_TYPICAL) * Math.exp(1 - ratio);
}

/** How many of the most recent runs the typical duration is taken from. */
export const TYPICAL_RUN_WINDOW = 20;

/**
 * A typical run time from observed ones, oldest first: the median of the last
 * TYPICAL_RUN_WINDOW valid samples, so one cold start or one stuck run does
 * not move it. Samples that are not finite or not positive are measurement
 * slips and are dropped before the window is taken; with none left, `fallbackMs`.
 */
export function typicalRunMs(samplesMs: readonly number[], fallbackMs: number): number {
  const recent = samplesMs.filter((sample) => Number.isFinite(sample) && sample > 0).slice(-TYPICAL_RUN_WINDOW);
  if (recent.length === 0) return fallbackMs;
  const sorted = recent.sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
