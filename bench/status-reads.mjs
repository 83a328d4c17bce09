// How often the generate page reads a prediction's status while the model
// runs, and that it stops once the final status is in.
const STATUS_PATH = /^\/api\/replicate\/[A-Za-z0-9_-]+$/;
const FINAL = new Set(["succeeded", "failed", "canceled", "aborted"]);

/**
 * Generates once through the page (a signed-in `page` on /dashboard/generate)
 * and counts GET /api/replicate/[id] until the image shows, then keeps
 * counting for `quietMs` more.
 */
export async function countStatusReads(page, { prompt = "status reads", quietMs = 3000 } = {}) {
  const reads = [];
  let finalAt = null;
  page.on("request", (request) => {
    if (request.method() === "GET" && STATUS_PATH.test(new URL(request.url()).pathname)) reads.push(Date.now());
  });
  page.on("response", async (response) => {
    const request = response.request();
    if (request.method() !== "GET" || !STATUS_PATH.test(new URL(response.url()).pathname)) return;
    const view = await response.json().catch(() => null);
    // Final for the page: a finished status, and for a success the saved image too.
    if (view && FINAL.has(view.status) && (view.status !== "succeeded" || view.images?.length)) finalAt ??= Date.now();
  });

  await page.getByLabel("Prompt", { exact: true }).fill(prompt);
  const started = Date.now();
  await page.getByRole("button", { name: /^generate/i }).click();
  await page.getByRole("img", { name: prompt }).waitFor({ timeout: 30_000 });
  const shownAt = Date.now();
  await page.waitForTimeout(quietMs);
  const lastFinal = finalAt ?? shownAt;
  return {
    reads: reads.length,
    afterFinal: reads.filter((at) => at > lastFinal).length,
    finalSeenByPoll: finalAt !== null,
    secondsToImage: (shownAt - started) / 1000,
  };
}
