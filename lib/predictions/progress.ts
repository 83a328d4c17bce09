/**
 * Progress from tqdm-style model logs, e.g.
 *   ` 45%|████▌     | 23/50 [00:04<00:05,  4.90it/s]`
 * Replicate publishes no official sample of SDXL's logs, so this tolerates
 * anything: logs accumulate over a run, bars redraw with \r or print one per
 * line, other text is interleaved, and SDXL may run a second bar (the refiner)
 * after the first. The last progress line is the current state.
 */

// Logs grow for the whole run and arrive on every poll; only the end matters,
// and bounding the input keeps the cost constant whatever a model prints.
const TAIL_CHARS = 4096;

// Both patterns are linear (bounded digit runs, no nested quantifiers). The
// lookarounds keep dates (2024/01/02), paths and decimals out of n/total.
const COUNT = /(?<![\d/.])(\d{1,9})\s?\/\s?(\d{1,9})(?![\d/.])/g;
const PERCENT = /(?<![\d.])(\d{1,3}(?:\.\d{1,3})?)\s?%/g;

export function parseProgress(logs: string | null | undefined): number | null {
  if (typeof logs !== "string" || logs.length === 0) return null;
  const truncated = logs.length > TAIL_CHARS;
  const lines = logs.slice(-TAIL_CHARS).split(/[\r\n]/);
  // A cut line could read "5/50" out of "25/50"; skip it rather than guess.
  if (truncated) lines.shift();
  for (let index = lines.length - 1; index >= 0; index--) {
    const progress = progressOfLine(lines[index]);
    if (progress !== null) return progress;
  }
  return null;
}

function progressOfLine(line: string): number | null {
  if (line.length === 0) return null;
  // n/total is exact where the percentage is rounded, so it wins when present.
  const count = lastMatch(COUNT, line);
  if (count) {
    const n = Number(count[1]);
    const total = Number(count[2]);
    // n > total is not a progress count (a ratio, a date); look for a percentage instead.
    if (total > 0 && n <= total) return clamp(n / total);
  }
  const percent = lastMatch(PERCENT, line);
  if (percent) return clamp(Number(percent[1]) / 100);
  return null;
}

function lastMatch(pattern: RegExp, line: string): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) last = match;
  return last;
}

function clamp(value: number): number | null {
  if (!Number.isFinite(value)) return null;
  return Math.min(1, Math.max(0, value));
}

const BAR_WIDTH = 10;
// tqdm's unicode bar: eighths of a cell, then the full block.
const BAR_CHARS = " ▏▎▍▌▋▊▉█";

/**
 * One tqdm line as a diffusers pipeline prints it (tqdm's default format with a
 * ten-cell bar), so anything written by a model that produces it parses back.
 */
export function formatProgressLine({ n, total, elapsedMs }: { n: number; total: number; elapsedMs: number }): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, n / total)) : 0;
  const cells = fraction * BAR_WIDTH;
  const full = Math.floor(cells);
  const bar =
    full >= BAR_WIDTH
      ? BAR_CHARS[8].repeat(BAR_WIDTH)
      : BAR_CHARS[8].repeat(full) + BAR_CHARS[Math.floor(cells * 8) % 8] + " ".repeat(BAR_WIDTH - full - 1);
  const percent = `${Math.round(fraction * 100)}`.padStart(3, " ");
  const rate = n > 0 && elapsedMs > 0 ? (n * 1000) / elapsedMs : 0;
  const remaining = rate > 0 ? formatClock(((total - n) / rate) * 1000) : "?";
  const rateText = rate > 0 ? (rate >= 1 ? `${rate.toFixed(2).padStart(5, " ")}it/s` : `${(1 / rate).toFixed(2).padStart(5, " ")}s/it`) : "?it/s";
  return `${percent}%|${bar}| ${n}/${total} [${formatClock(elapsedMs)}<${remaining}, ${rateText}]`;
}

function formatClock(ms: number): string {
  // tqdm truncates to whole seconds.
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(seconds / 60)).padStart(2, "0");
  const ss = String(seconds % 60).padStart(2, "0");
  return `${mm}:${ss}`;
}
