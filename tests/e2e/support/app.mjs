// What every journey shares: one build, one browser and one local-mode server per
// run (journeys that need another configuration start their own on the same
// build: see serveWith), and small helpers that act the way a person does
// (labels and roles, not selectors).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { ARTIFACTS, launchBrowser, screenshot } from "./browser.mjs";
import { build, nextClientAddress, startServer } from "./server.mjs";

export const PASSWORD = "correct horse battery";

/** Filled in by setUp(); journeys read it inside their tests. */
export const app = { server: null, browser: null };

export async function setUp() {
  build();
  app.server = await openedServer();
  app.browser = await launchBrowser();
}

/**
 * `next start`, once its database is open: the first session check opens (and on
 * a fresh data folder creates) the embedded database, which takes seconds on a
 * busy machine; done here, it counts against the set-up, not a journey's sign-up.
 */
async function openedServer(env) {
  const server = await startServer(env);
  const probe = await fetch(`${server.baseUrl}/api/replicate/startup-probe`);
  if (probe.status !== 401) throw new Error(`the start-up probe answered ${probe.status}:\n${server.output()}`);
  return server;
}

export async function tearDown() {
  await app.browser?.close();
  // The server's own log, for reading beside a failure's screenshot.
  if (app.server) writeFileSync(path.join(ARTIFACTS, "server.log"), app.server.output());
  await app.server?.stop();
}

/**
 * Another `next start` on the same build, with `env` on top of the usual (e.g.
 * Replicate models): everything but NEXT_PUBLIC_* is read when the server starts,
 * so one build serves every configuration. Stop it with stopServer(), which keeps
 * its log beside the screenshots as server-<name>.log.
 */
export async function serveWith(name, env) {
  const server = await openedServer(env);
  server.name = name;
  return server;
}

export async function stopServer(server) {
  if (!server) return;
  writeFileSync(path.join(ARTIFACTS, `server-${server.name}.log`), server.output());
  await server.stop();
}

export function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
}

/**
 * A new person: a fresh browser context (no cookies), failing loudly on any page
 * error. `step` names a part of the journey, so a failure says which part failed and
 * leaves a screenshot named after it; a failed test without steps leaves one too.
 */
export async function newPerson(t, { width = 1280, height = 900, javaScriptEnabled = true, storageState, server = app.server } = {}) {
  const context = await app.browser.newContext({
    baseURL: server.baseUrl,
    viewport: { width, height },
    javaScriptEnabled,
    acceptDownloads: true,
    extraHTTPHeaders: { "x-forwarded-for": nextClientAddress() },
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

/**
 * Waits until the locator finds an <img> that has loaded, and answers what it shows.
 * The locator is asked again each time: a placeholder (role="img") may stand where
 * the image will be, and is replaced by it.
 */
export async function waitForLoadedImage(locator, timeout = 20_000) {
  await locator.waitFor({ timeout });
  const deadline = Date.now() + timeout;
  for (;;) {
    const loaded = await locator
      .evaluate((img) =>
        img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0
          ? { src: img.currentSrc || img.src, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight }
          : null,
      )
      .catch((error) => {
        // Gone between two looks (re-rendered): look again. Anything else (two matches) is the test's mistake.
        if (/strict mode violation/.test(error.message)) throw error;
        return null;
      });
    if (loaded) return loaded;
    if (Date.now() > deadline) throw new Error(`no loaded image for ${locator} within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
            if (view.status === "succeeded" && view.images.length >= view.expectedImages) return view;
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

/** The image dialog's details list as { term: text }, e.g. { Size: "1344 × 768" }. */
export function detailsOf(dialog) {
  return dialog.locator("dl").evaluate((list) => {
    const details = {};
    for (const term of list.querySelectorAll("dt")) details[term.textContent.trim()] = term.nextElementSibling?.textContent.trim() ?? "";
    return details;
  });
}

export function assertNoPageErrors(person) {
  assert.deepEqual(person.errors, [], "no errors in the page");
}
