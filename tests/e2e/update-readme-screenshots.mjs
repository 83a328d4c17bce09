// Copies the README's screenshots from the last e2e run into public/readme/.
// Run it on purpose, after `npm run test:e2e`, when the UI has changed:
//   node tests/e2e/update-readme-screenshots.mjs
// The e2e run makes them every time (tests/e2e/journeys/gallery.mjs) but never
// touches tracked files itself, so a test run leaves the working tree clean.
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

const ARTIFACTS = path.resolve("tests/e2e/artifacts");
const TARGET = path.resolve("public/readme");
const SHOTS = [
  ["readme-generate.png", "generate.png"],
  ["readme-gallery.png", "gallery.png"],
];

const missing = SHOTS.filter(([from]) => !existsSync(path.join(ARTIFACTS, from)));
if (missing.length > 0) {
  console.error(`Missing ${missing.map(([from]) => from).join(", ")} in ${ARTIFACTS}: run \`npm run test:e2e\` first.`);
  process.exit(1);
}
mkdirSync(TARGET, { recursive: true });
for (const [from, to] of SHOTS) {
  const source = path.join(ARTIFACTS, from);
  copyFileSync(source, path.join(TARGET, to));
  const { size, mtime } = statSync(source);
  console.log(`public/readme/${to} ← ${from} (${Math.round(size / 1024)} KiB, taken ${mtime.toISOString()})`);
}
