// axe-core on a page as it stands, in light and dark and at 1280 and 360 px wide,
// with a screenshot of each; serious and critical violations fail the test.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { settle } from "./app.mjs";
import { ARTIFACTS, screenshot } from "./browser.mjs";

const AXE_SCRIPT = path.resolve("node_modules/axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const FAILING = new Set(["serious", "critical"]);

export const VARIANTS = [
  { name: "light-1280", colorScheme: "light", width: 1280, height: 900 },
  { name: "dark-1280", colorScheme: "dark", width: 1280, height: 900 },
  { name: "light-360", colorScheme: "light", width: 360, height: 780 },
  { name: "dark-360", colorScheme: "dark", width: 360, height: 780 },
];

/** Every audit of the run, written to artifacts/axe-report.json and summed up at the end. */
const report = [];

export function axeSummary() {
  const counts = { audits: report.length, serious: 0, critical: 0, moderate: 0, minor: 0, overflow: 0 };
  for (const entry of report) {
    for (const violation of entry.violations) counts[violation.impact] = (counts[violation.impact] ?? 0) + 1;
    if (entry.overflow > 0) counts.overflow += 1;
  }
  return counts;
}

export function writeAxeReport() {
  writeFileSync(path.join(ARTIFACTS, "axe-report.json"), `${JSON.stringify({ summary: axeSummary(), audits: report }, null, 2)}\n`);
}

/**
 * Audits the page in each variant and restores the first one after. Transitions are
 * turned off (reduced motion) so colours are measured at rest, not mid-fade.
 */
export async function audit(page, state) {
  const problems = [];
  await page.emulateMedia({ reducedMotion: "reduce" });
  for (const variant of VARIANTS) {
    await page.emulateMedia({ colorScheme: variant.colorScheme });
    await page.setViewportSize({ width: variant.width, height: variant.height });
    // Layout, paint and any colour transition under way (a hover, a button that just changed).
    await settle(page);
    if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE_SCRIPT });

    const violations = await page.evaluate(async (tags) => {
      const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
      return result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        targets: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
      }));
    }, TAGS);
    // Usable at 360 px: nothing may make the page scroll sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await screenshot(page, `a11y/${state}--${variant.name}`);

    report.push({ state, variant: variant.name, overflow, violations });
    for (const violation of violations.filter((v) => FAILING.has(v.impact))) {
      problems.push(`${variant.name}: ${violation.impact} ${violation.id} (${violation.help}) at ${violation.targets.join(", ")}`);
    }
    if (overflow > 0) problems.push(`${variant.name}: the page scrolls sideways by ${overflow}px`);
  }
  await page.setViewportSize({ width: VARIANTS[0].width, height: VARIANTS[0].height });
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "no-preference" });
  assert.deepEqual(problems, [], `accessibility problems on "${state}"`);
}
