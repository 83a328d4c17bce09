// Browser journeys against the production build: one `next build`, one Chromium
// and one `next start` in local mode (fresh data folder) for the whole run, shared
// by the journeys in ./journeys/; the Replicate journeys start servers of their
// own on the same build, pointed at a stand-in on loopback. Run with `npm run test:e2e` (E2E_SKIP_BUILD=1
// reuses the last build). Screenshots land in tests/e2e/artifacts/ (git-ignored);
// `node tests/e2e/update-readme-screenshots.mjs` copies the README's from there.
import { after, before } from "node:test";
import { setUp, tearDown } from "./support/app.mjs";
import { axeSummary, writeAxeReport } from "./support/axe.mjs";

// `next build` runs in here: minutes on a machine that other work shares.
before(setUp, { timeout: 600_000 });

after(async () => {
  const summary = axeSummary();
  if (summary.audits > 0) {
    writeAxeReport();
    console.log(
      `# axe: ${summary.audits} audits; violations: ${summary.critical} critical, ${summary.serious} serious, ` +
        `${summary.moderate} moderate, ${summary.minor} minor; sideways scrolling on ${summary.overflow}`,
    );
  }
  await tearDown();
});

// Imported after the hooks above are registered, so they wrap every journey.
await import("./journeys/generate.mjs");
await import("./journeys/account.mjs");
await import("./journeys/account-settings.mjs");
await import("./journeys/failures.mjs");
await import("./journeys/gallery.mjs");
await import("./journeys/replicate.mjs");
await import("./journeys/accessibility.mjs");
await import("./journeys/image-inputs.mjs");
