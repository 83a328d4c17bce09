// The benchmark's table, for the terminal and for bench/results.md.
import { readFileSync } from "node:fs";
import os from "node:os";

export function machineInfo({ browserVersion, loadBefore }) {
  const next = JSON.parse(readFileSync("node_modules/next/package.json", "utf8")).version;
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    // Other work on the machine slows the server and the load generator alike; ratios suffer less than rates.
    load: loadBefore.map((value) => value.toFixed(2)).join(", "),
    busy: loadBefore[0] > os.availableParallelism() / 2,
    node: process.version,
    next,
    chromium: browserVersion,
  };
}

const mark = (met) => (met === null ? "—" : met ? "met" : "NOT MET");

export function renderTerminal(table) {
  const header = ["Figure", "Measured", "Target", "Met"];
  const body = table.map((row) => [row.figure, row.measured, row.target, mark(row.met)]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((cells) => cells[column].length)));
  const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...body.map(line)].join("\n");
}

const cell = (text) => String(text).replaceAll("|", "\\|");

export function renderMarkdown({ table, machine, took }) {
  const missed = table.filter((row) => row.met === false);
  return `# Benchmark results

Written by \`npm run bench\` (bench/run.mjs); do not edit by hand.

- Date: ${machine.date}, the whole run took ${took.toFixed(0)} s
- Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory} memory; load average when the run began ${machine.load}
- Node ${machine.node}, Next ${machine.next}, Chromium ${machine.chromium}
- Units: kB = 1,000 bytes, MB = 1,000,000 bytes${
    machine.busy
      ? `\n- **The machine was busy** (load ${machine.load.split(",")[0]} on ${machine.cores} cores when the run began): rates, times and the ratios built on them moved between rounds; read them with the spreads in the notes.`
      : ""
  }
- ${missed.length === 0 ? "Every target is met." : `Targets not met: ${missed.map((row) => row.figure).join("; ")}.`}

| Figure | Measured | Target | Met | Notes |
| --- | --- | --- | --- | --- |
${table.map((row) => `| ${[row.figure, row.measured, row.target, mark(row.met), row.notes].map(cell).join(" | ")} |`).join("\n")}

## How each figure is taken

- **JavaScript**: a signed-in person's first visit in Chromium (empty cache, a new
  browser context), until the network is idle for 0.5 s; the sum of every script
  response's bytes on the wire (compressed as \`next start\` serves them, headers
  included), from the DevTools protocol's \`Network.loadingFinished\`. Code a page
  fetches only when used (the generate page's run panel, with the first submit;
  the mask brush, once there is an image) is not in it. The floor is a 404 page:
  React, Next's runtime and the root layout; "above the floor" is a page's
  transfer minus the floor's.
- **Route handlers**: 32 keep-alive connections on loopback, each sending its
  next request when the previous answer is in (bench/http-load.mjs), after
  1.5 s of warm-up. \`/api/health\` (no session, no database) is the baseline;
  it and the poll take turns for three rounds of 2.5 s, and the poll's ratio is
  the median of the rounds' ratios, so other load on the machine slows both
  alike. The poll reads a saved prediction. Creates (5 s, after the rounds)
  come from 32 people, one per connection, with the rate limits raised so none
  is refused. The load generator shares the machine's cores with the server.
  Server CPU per request is the \`next start\` process's user + system time
  (all its threads) over the requests answered.
- **10 MB save**: the Replicate model pointed (REPLICATE_BASE_URL) at a stand-in
  on loopback (bench/replicate-stand-in.mjs, a process of its own) whose output
  is a 10 MB PNG. The
  app's time is the poll that sees \`succeeded\` and saves before answering
  (model read, download, checks, storage, rows); the plain time is a fetch of
  the same URL streamed to a file, alternating with the app's. The same pair
  with a 16×16 PNG separates the save's fixed work from the bytes. Memory
  growth is the server's peak VmRSS during the save, sampled every
  millisecond, over its VmRSS just before.
- **Status reads**: the generate page in Chromium with a local model that takes
  5 s, counting \`GET /api/replicate/[id]\` until the image shows and for 3 s after.
- **Replicate reads per generation**: six people generating at once on the
  Replicate model pointed at the loopback stand-in (a 0.5 s queue, a 4 s run),
  each followed by one tab, then by three, polling as the page does (the
  answer's \`pollAfterMs\`, tests/load/page-poll.mjs); the stand-in counts every
  \`GET /v1/predictions/{id}\`. Once with webhooks (the stand-in sends signed
  start, logs and completed deliveries) and once without.
- **Memory and start-up**: VmRSS of the \`next start\` process (Linux /proc), 3 s
  after the first image was generated through the page and the tab closed.
`;
}
