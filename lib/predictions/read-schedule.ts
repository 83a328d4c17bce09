/**
 * How often the app reads one prediction from the model. Replicate allows
 * 3,000 reads a minute per account (far fewer with little credit), so reads
 * are shared by everyone polling a prediction and spaced out as it ages: a
 * fast model is followed closely, a long run does not need a read a second.
 */

/** Between reads of a prediction when no webhook tells the app about it; also the page's poll interval. */
export function readIntervalMs(ageMs: number): number {
  if (ageMs < 10_000) return 1_000;
  if (ageMs < 30_000) return 2_000;
  if (ageMs < 120_000) return 3_000;
  return 5_000;
}

/**
 * With webhooks, how long a prediction may stay silent before a read checks
 * that no delivery was lost. Queued predictions send nothing for as long as a
 * cold boot takes, so this is long: a thousand predictions waiting in a queue
 * cost at most a thousand reads a minute, not a thousand a second.
 */
export function webhookSilenceMs(ageMs: number): number {
  return ageMs < 120_000 ? 30_000 : 60_000;
}

/** When the next read of a prediction of this age is due, counted from `now`. */
export function nextReadAfter({ createdAt, now, webhooks }: { createdAt: string; now: number; webhooks: boolean }): number {
  const age = Math.max(0, now - Date.parse(createdAt));
  return now + (webhooks ? webhookSilenceMs(age) : readIntervalMs(age));
}
