#!/usr/bin/env node
/**
 * A scripted mutation run: each mutant in ./mutants.mjs is one small, realistic
 * bug (a dropped owner filter, a weakened policy, a skipped check) put into the
 * code on its own. The tests that should notice it run against the mutated
 * file; a mutant is killed when they fail and survives when they pass.
 *
 * Usage: see USAGE below (an unknown flag stops the run before it starts).
 *
 * --skip-missing-tests runs each mutant against those of its test files that
 * exist (a mutant with none left survives): for measuring an older commit's
 * suite with today's mutants, as the "before" score.
 *
 * Mutants are applied to the working tree one at a time and the original text
 * is always put back (also on Ctrl-C). A mutant whose `from` text no longer
 * appears exactly once is reported as stale and fails the run: the list must
 * follow the code, or it would quietly test nothing.
 */
import { spawn } from "node:child_process";
import { access, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MUTANTS } from "./mutants.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const USAGE = "Usage: npm run mutants [-- --only <id-or-area>[,<id-or-area>...]] [--list] [--skip-missing-tests]";
const KNOWN_FLAGS = ["--only", "--list", "--skip-missing-tests"];
// A run edits the working tree for half an hour: a flag it does not know (a
// typo, --help) stops it before it starts rather than being ignored.
const unknown = args.filter((arg, i) => arg.startsWith("-") && !KNOWN_FLAGS.includes(arg) && args[i - 1] !== "--only");
if (unknown.length > 0) {
  const help = unknown.every((arg) => arg === "--help" || arg === "-h");
  if (!help) console.error(`Unknown option: ${unknown.join(" ")}`);
  console.log(USAGE);
  process.exit(help ? 0 : 2);
}
const only = valueOf("--only")?.split(",").filter(Boolean) ?? null;
const selected = only ? MUTANTS.filter((m) => only.includes(m.id) || only.includes(m.area)) : MUTANTS;

function valueOf(flag) {
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

if (args.includes("--list")) {
  for (const m of selected) console.log(`${m.area.padEnd(12)} ${m.id.padEnd(40)} ${m.file}`);
  process.exit(0);
}

/** Restores whatever is mutated right now; set while a mutant is applied. */
let restore = null;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (restore) await restore();
    process.exit(130);
  });
}

function runTests(tests) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn("npx", ["vitest", "run", "--bail=1", "--reporter=dot", ...tests], {
      cwd: root,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ code, output, ms: Date.now() - started }));
  });
}

/** The name of the first failing test, to show what noticed the mutant. */
function firstFailure(output) {
  const line = output.split("\n").find((l) => /^\s*(FAIL|×|✗)\s/.test(l));
  return line ? line.trim().replace(/^(FAIL|×|✗)\s+/, "").slice(0, 110) : "";
}

// Every named test file must exist (vitest fails on a missing one, which would
// count as a kill), and the tests must pass on the unmutated code, or every
// mutant would look killed.
const exists = (test) => access(path.join(root, test)).then(() => true, () => false);
const skipMissing = args.includes("--skip-missing-tests");
for (const mutant of selected) {
  const present = [];
  for (const test of mutant.tests) {
    if (await exists(test)) present.push(test);
    else if (!skipMissing) {
      console.error(`Missing test file ${test}: fix mutants.mjs.`);
      process.exit(2);
    }
  }
  mutant.tests = present;
}
const testFiles = [...new Set(selected.flatMap((m) => m.tests))];
console.log(`# baseline: ${testFiles.length} test files on the unmutated code`);
const baseline = await runTests(testFiles);
if (baseline.code !== 0) {
  console.error(`The tests fail without any mutant (${firstFailure(baseline.output)}); fix them first.\n${baseline.output.slice(-3000)}`);
  process.exit(2);
}
console.log(`# baseline passed in ${(baseline.ms / 1000).toFixed(1)} s\n`);

const results = [];
for (const mutant of selected) {
  const file = path.join(root, mutant.file);
  const original = await readFile(file, "utf8").catch(() => "");
  const occurrences = original.split(mutant.from).length - 1;
  if (occurrences !== 1) {
    results.push({ mutant, outcome: "stale", detail: `\`from\` found ${occurrences} times` });
    console.log(`STALE    ${mutant.id}: from-text found ${occurrences} times in ${mutant.file}`);
    continue;
  }
  if (mutant.tests.length === 0) {
    results.push({ mutant, outcome: "survived", detail: "no test file covers it" });
    console.log(`SURVIVED ${mutant.id} (no test file)`);
    continue;
  }
  restore = () => writeFile(file, original);
  await writeFile(file, original.replace(mutant.from, () => mutant.to));
  let run;
  try {
    run = await runTests(mutant.tests);
  } finally {
    await restore();
    restore = null;
  }
  const killed = run.code !== 0;
  const detail = killed ? firstFailure(run.output) : "";
  results.push({ mutant, outcome: killed ? "killed" : "survived", detail, ms: run.ms });
  console.log(`${killed ? "KILLED  " : "SURVIVED"} ${mutant.id} (${(run.ms / 1000).toFixed(1)} s)${detail ? `  ← ${detail}` : ""}`);
}

const byArea = new Map();
for (const { mutant, outcome } of results) {
  const area = byArea.get(mutant.area) ?? { killed: 0, survived: 0, stale: 0 };
  area[outcome] += 1;
  byArea.set(mutant.area, area);
}
console.log("\n| Area | Mutants | Killed | Survived | Stale |\n|---|---|---|---|---|");
for (const [area, counts] of byArea) {
  console.log(`| ${area} | ${counts.killed + counts.survived + counts.stale} | ${counts.killed} | ${counts.survived} | ${counts.stale} |`);
}
const killed = results.filter((r) => r.outcome === "killed").length;
console.log(`\n# mutation score: ${killed}/${results.length} killed`);
for (const r of results.filter((r) => r.outcome !== "killed")) console.log(`# ${r.outcome}: ${r.mutant.id} — ${r.mutant.why}`);
process.exit(results.every((r) => r.outcome === "killed") ? 0 : 1);
