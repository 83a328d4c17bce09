// Saving a large output through the app's real save path, against a plain
// download-and-write of the same bytes from the same server, in the same run.
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { memoryOf, sampleRssDuring } from "./server-process.mjs";

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const range = (values) => [Math.min(...values), Math.max(...values)];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each app save is a fresh prediction: POST /api/replicate (not timed), then
 * the poll that sees "succeeded" and saves before answering (timed, with the
 * server's RSS sampled every millisecond). Each plain save fetches the same
 * bytes from the stand-in and streams them to a file. They alternate, so drift
 * on a busy machine hits both alike. The same pair with a small output shows
 * how much of the save is fixed work (rows, model reads) rather than bytes.
 */
export async function measureSave({ baseUrl, cookieHeader, pid, standIn, largeBytes, tempDir, warmups = 2, runs = 7 }) {
  const headers = { cookie: cookieHeader, "content-type": "application/json" };
  let seed = 0;
  let plainFiles = 0;

  async function appSave(size) {
    const created = await fetch(`${baseUrl}/api/replicate`, {
      method: "POST",
      headers,
      body: JSON.stringify({ input: { prompt: size === "small" ? "a [small] save" : "a 10 MB save", seed: ++seed } }),
    });
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
    const { id } = await created.json();
    await pause(200); // let the create's garbage settle before the baseline
    const before = memoryOf(pid).rss;
    const started = performance.now();
    const { result: view, peak } = await sampleRssDuring(pid, async () => (await fetch(`${baseUrl}/api/replicate/${id}`, { headers })).json());
    const ms = performance.now() - started;
    const image = view.images?.[0];
    if (!image?.url) throw new Error(`the save did not complete: ${JSON.stringify(view).slice(0, 400)}`);
    return { ms, growth: peak - before, imageUrl: image.url };
  }

  async function plainSave(size) {
    const file = path.join(tempDir, `plain-${++plainFiles}.png`);
    const { result: ms } = await sampleRssDuring(pid, async () => {
      const started = performance.now();
      const response = await fetch(`${standIn.origin}/files/${size}${plainFiles}.png`);
      await pipeline(Readable.fromWeb(response.body), createWriteStream(file));
      return performance.now() - started;
    });
    await rm(file);
    return ms;
  }

  const results = { large: { app: [], plain: [] }, small: { app: [], plain: [] } };
  for (let n = 0; n < warmups + runs; n++) {
    for (const size of ["large", "small"]) {
      const app = await appSave(size);
      const plain = await plainSave(size);
      if (n >= warmups) {
        results[size].app.push(app);
        results[size].plain.push(plain);
      }
    }
  }

  // Outside the timing: the stored file is the very bytes the model served.
  const stored = await fetch(new URL(results.large.app[0].imageUrl, baseUrl), { headers });
  const storedBytes = (await stored.arrayBuffer()).byteLength;
  if (storedBytes !== largeBytes) throw new Error(`stored ${storedBytes} bytes, the model served ${largeBytes}`);

  const large = results.large.app;
  return {
    bytes: largeBytes,
    runs,
    appMs: median(large.map((run) => run.ms)),
    plainMs: median(results.large.plain),
    appRange: range(large.map((run) => run.ms)),
    plainRange: range(results.large.plain),
    smallAppMs: median(results.small.app.map((run) => run.ms)),
    smallPlainMs: median(results.small.plain),
    growthMax: Math.max(...large.map((run) => run.growth)),
    growthMedian: median(large.map((run) => run.growth)),
  };
}
