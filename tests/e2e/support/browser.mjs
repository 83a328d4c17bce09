// Debian's Chromium driven by playwright-core: Playwright's own browser
// download cannot work on a machine without internet access.
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

export const ARTIFACTS = path.resolve("tests/e2e/artifacts");
const EXECUTABLE = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Playwright's launch() gives every browser a fresh temporary profile
 * (--user-data-dir) and removes it on close; each person gets a new context.
 */
export async function launchBrowser() {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(`Chromium not found at ${EXECUTABLE}. Install it with: sudo apt-get install -y chromium`);
  }
  // Each run starts from an empty folder, so every screenshot in it is from this run.
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(path.join(ARTIFACTS, "a11y"), { recursive: true });
  return chromium.launch({
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A screenshot per step, and one on failure: looking beats guessing. `name` may include a folder (`a11y/...`). */
export async function screenshot(page, name, { fullPage = true } = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage });
}
