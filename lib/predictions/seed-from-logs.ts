/**
 * The seed a model says it used, read from its logs, so an image made with a
 * random seed can be made again. Models print it in their own words; the
 * forms read here are deliberately few, each a phrase that means nothing but
 * the seed:
 *
 *   Using seed: 1234           replicate/cog-sdxl predict.py, cog-flux, most Cog predictors
 *   Using seed 1234            the same without the colon
 *   Random seed set to: 1234   set_seed helpers, with or without the colon
 *   seed: 1234                 only at the start of a line
 *
 * A bare "seed: N" inside a line is left alone: it turns up in echoed configs,
 * LoRA metadata and dataset notes ("trained with seed: 42") that are not this
 * run's seed, and a wrong seed is worse than none.
 */

// The seed is printed before the first step, so only the head of the logs is
// read: polls resend the logs as they grow, and this bounds each read however
// much a model prints afterwards. 64 KB leaves room for warnings and a long
// prompt echoed before it.
const HEAD_CHARS = 64 * 1024;

// Colour codes would hide the word boundary before "Using" and the line start.
const ANSI_ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;

// Digits end at something that cannot continue a number or a word, so
// "12.5", "1e9", "0x1f" and "1234abc" are not read as seeds; a full stop
// ending a sentence is fine. Twenty digits bound the work on a runaway number.
const NUMBER = String.raw`(\d{1,20})(?!\w|[.,]\d)`;

const PATTERNS = [
  new RegExp(String.raw`\busing seed:?[ \t]*${NUMBER}`, "i"),
  new RegExp(String.raw`\brandom seed set to:?[ \t]*${NUMBER}`, "i"),
  new RegExp(String.raw`^[ \t]*seed:[ \t]*${NUMBER}`, "i"),
];

/**
 * The first seed the logs state, as a non-negative safe integer, or null. A
 * line whose value is not one ("Using seed: None", a negative or a number too
 * big to hold exactly) is skipped, and a later line may still give the seed.
 */
export function seedFromLogs(logs: string | null | undefined): number | null {
  if (typeof logs !== "string" || logs.length === 0) return null;
  const lines = logs.slice(0, HEAD_CHARS).split(/\r\n|\r|\n/);
  // A line cut at the end could read "Using seed: 12" out of "Using seed: 1234".
  if (logs.length > HEAD_CHARS) lines.pop();
  for (const line of lines) {
    const plain = line.replace(ANSI_ESCAPE, "");
    for (const pattern of PATTERNS) {
      const match = pattern.exec(plain);
      if (!match) continue;
      const seed = Number(match[1]);
      if (Number.isSafeInteger(seed)) return seed;
    }
  }
  return null;
}
