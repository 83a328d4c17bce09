// What every journey shares: one build, one server and one browser per run, and
// small helpers that act the way a person does (labels and roles, not selectors).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ARTIFACTS, launchBrowser, screenshot } from "./browser.mjs";
import { build, startServer } from "./server.mjs";

export const PASSWORD = "correct horse battery";

/** Filled in by setUp(); journeys read it inside their tests. */
export const app = { server: null, browser: null };

export async function setUp() {
  build();
  app.server = await startServer();
  app.browser = await launchBrowser();
}

export async function tearDown() {
  await app.browser?.close();
  // The server's own log, for reading beside a failure's screenshot.
  if (app.server) writeFileSync(path.join(ARTIFACTS, "server.log"), app.server.output());
  await app.server?.stop();
}

export function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
}

/**
 * A new person: a fresh browser context (no cookies), failing loudly on any page
 * error. `step` names a part of the journey, so a failure says which part failed and
 * leaves a screenshot named after it; a failed test without steps leaves one too.
 */
export async function newPerson(t, { width = 1280, height = 900, javaScriptEnabled = true, storageState } = {}) {
  const context = await app.browser.newContext({
    baseURL: app.server.baseUrl,
    viewport: { width, height },
    javaScriptEnabled,
    acceptDownloads: true,
    // Another person's cookies: the same person in a second browser.
    ...(storageState ? { storageState } : {}),
  });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    // A 404 the test provoked on purpose is logged as a failed resource load, not an app error.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
  });
  let failedStep = false;
  t.after(async () => {
    if (t.passed === false && !failedStep) await screenshot(page, `failed-${slug(t.name)}`).catch(() => {});
    await context.close();
  });

  return {
    context,
    page,
    errors,
    shot: (name, options) => screenshot(page, name, options),
    async step(name, fn) {
      try {
        return await fn();
      } catch (error) {
        failedStep = true;
        await screenshot(page, `failed-${slug(t.name)}--${slug(name)}`).catch(() => {});
        if (error instanceof Error) error.message = `[step: ${name}] ${error.message}`;
        throw error;
      }
    },
  };
}

export async function signUp(page, email) {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/dashboard/generate");
}

export async function signIn(page, email) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export const promptBox = (page) => page.getByRole("textbox", { name: "Prompt", exact: true });

export async function generate(page, prompt) {
  await promptBox(page).fill(prompt);
  await page.getByRole("button", { name: "Generate", exact: true }).click();
}

/** The announced status line of the generation panel, e.g. "Status: Generating". */
export function statusLine(page) {
  return page.getByRole("region", { name: "Generation status" }).locator("[aria-live]").first();
}

export async function waitForLoadedImage(locator, timeout = 20_000) {
  await locator.waitFor({ timeout });
  await locator.page().waitForFunction((img) => img.complete && img.naturalWidth > 0, await locator.elementHandle(), { timeout });
  return locator.evaluate((img) => ({ src: img.currentSrc || img.src, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight }));
}

/**
 * Makes images through the API from inside the page (so with its session), all at
 * once, and polls until each is saved. Faster than the form when a journey needs
 * images but is not about making them.
 */
export async function createImages(page, prompts, { seed } = {}) {
  return page.evaluate(
    async ({ prompts, seed }) => {
      const created = await Promise.all(
        prompts.map(async (prompt, index) => {
          const response = await fetch("/api/replicate", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ input: { prompt, ...(seed === undefined ? {} : { seed: seed + index }) } }),
          });
          if (response.status !== 201) throw new Error(`create answered ${response.status}: ${await response.text()}`);
          return response.json();
        }),
      );
      const deadline = Date.now() + 60_000;
      return Promise.all(
        created.map(async ({ id }) => {
          for (;;) {
            const view = await (await fetch(`/api/replicate/${id}`, { cache: "no-store" })).json();
            if (view.image) return view;
            if (view.status === "failed" || Date.now() > deadline) throw new Error(`prediction ${id}: ${view.status} ${view.error ?? ""}`);
            await new Promise((resolve) => setTimeout(resolve, 400));
          }
        }),
      );
    },
    { prompts, seed },
  );
}

/**
 * Holds the page's status polls, freezing the generate panel in whatever state it
 * shows, so it can be audited and photographed without racing the model. The
 * returned function lets the held polls through.
 */
export async function holdPolling(page) {
  const held = [];
  const pattern = "**/api/replicate/*";
  await page.route(pattern, (route) => {
    if (route.request().method() === "GET") held.push(route);
    else route.continue();
  });
  return async () => {
    await page.unroute(pattern);
    await Promise.all(held.map((route) => route.continue().catch(() => {})));
  };
}

/** Waits until the progress bar reports at least `percent`; answers what it reports. */
export async function waitForProgress(page, percent, timeout = 15_000) {
  await page.waitForFunction(
    (min) => Number(document.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow")) >= min,
    percent,
    { timeout, polling: 50 },
  );
  return Number(await page.getByRole("progressbar").getAttribute("aria-valuenow"));
}

/** Waits for paint and for any CSS transition under way, so a screenshot or an audit sees the page at rest. */
export async function settle(page) {
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    await Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation instanceof CSSTransition)
        .map((animation) => animation.finished.catch(() => {})),
    );
  });
}

export function assertNoPageErrors(person) {
  assert.deepEqual(person.errors, [], "no errors in the page");
}
