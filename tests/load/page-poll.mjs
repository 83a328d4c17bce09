// How the generate page follows a prediction (components/generate/use-prediction.ts),
// for load tests and the bench that stand in for many tabs: the first poll one
// interval after the create's answer, then each one `pollAfterMs` after the
// last answer, clamped as the page clamps it, until the image is known.

export const PAGE_POLL = Object.freeze({ firstMs: 1_000, minMs: 500, maxMs: 10_000 });

/** The wait before the next poll, as the page computes it from the last answer. */
export function nextPollMs(view) {
  const hint = view?.pollAfterMs;
  return typeof hint === "number" && Number.isFinite(hint) ? Math.min(PAGE_POLL.maxMs, Math.max(PAGE_POLL.minMs, hint)) : PAGE_POLL.firstMs;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls with `poll()` (which answers the view) as a tab would, from
 * `startAfterMs`, until the view has its images; throws when the prediction
 * ends without them or `deadline` (performance.now()) passes.
 */
export async function followLikeAPage({ poll, startAfterMs = PAGE_POLL.firstMs, deadline = Infinity }) {
  let waitMs = startAfterMs;
  for (;;) {
    await sleep(waitMs);
    if (performance.now() > deadline) throw new Error("the image was not saved in time");
    const view = await poll();
    if (["failed", "canceled"].includes(view.status)) throw new Error(`the prediction ended ${view.status}: ${view.error}`);
    if (view.images?.length > 0) return view;
    waitMs = nextPollMs(view);
  }
}
