// Browser journeys against the production build in local mode.
// Run with `npm run test:e2e` (builds first); screenshots land in tests/e2e/artifacts/.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launchBrowser, screenshot } from "./support/browser.mjs";
import { build, startServer } from "./support/server.mjs";

let server;
let browser;

before(async () => {
  build();
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page for a new person, failing loudly on any page error; a screenshot on failure. */
async function newPerson(t) {
  const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  t.after(async () => {
    if (t.passed === false || errors.length) await screenshot(page, `failed-${slug(t.name)}`).catch(() => {});
    await context.close();
  });
  return { context, page, errors };
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 60);
}

async function signUp(page, email, password = "correct horse battery") {
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: /create account|sign up/i }).click();
  await page.waitForURL("**/dashboard/generate");
}

async function generate(page, prompt) {
  await page.getByLabel("Prompt", { exact: true }).fill(prompt);
  await page.getByRole("button", { name: /^generate/i }).click();
}

describe("local mode, end to end", () => {
  it("sends a signed-out visit to sign-in and back to where it was going", async (t) => {
    const { page } = await newPerson(t);
    await page.goto("/dashboard");
    await page.waitForURL("**/login?next=%2Fdashboard");
    await page.getByRole("link", { name: /create an account|sign up/i }).click();
    await page.waitForURL("**/signup?next=%2Fdashboard");
    await page.getByLabel("Email").fill("returning@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: /create account|sign up/i }).click();
    await page.waitForURL((url) => url.pathname === "/dashboard");
  });

  it("signs up, generates with visible progress, and finds the image in the gallery after a reload", async (t) => {
    const { page, errors } = await newPerson(t);
    await signUp(page, "first@example.com");
    await assert.doesNotReject(page.getByText(/local preview model/i).first().waitFor());
    await screenshot(page, "01-generate-empty");

    const prompt = "a lighthouse on a cliff at dawn";
    await generate(page, prompt);
    const bar = page.getByRole("progressbar");
    await bar.waitFor();
    // Progress advances while the local model "renders" (3 s in this run).
    await page.waitForFunction(() => Number(document.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow")) > 0);
    await screenshot(page, "02-generate-progress");

    const image = page.getByRole("img", { name: prompt });
    await image.waitFor({ timeout: 20_000 });
    await page.waitForFunction((img) => img.complete && img.naturalWidth === 1024, await image.elementHandle());
    await screenshot(page, "03-generate-done");

    await page.goto("/dashboard");
    await page.reload();
    const tile = page.getByRole("button", { name: prompt });
    await tile.waitFor();
    const thumbnail = tile.locator("img");
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumbnail.elementHandle());
    await screenshot(page, "04-gallery");
    assert.deepEqual(errors, []);
  });

  it("keeps one person's images, image URLs and predictions from another", async (t) => {
    const first = await newPerson(t);
    await signUp(first.page, "owner@example.com");
    const created = await first.page.evaluate(async () => {
      const response = await fetch("/api/replicate", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: { prompt: "private sunset", seed: 1 } }),
      });
      return response.json();
    });
    let saved;
    for (let i = 0; i < 40 && !saved?.image; i++) {
      await first.page.waitForTimeout(250);
      saved = await first.page.evaluate(async (id) => (await fetch(`/api/replicate/${id}`)).json(), created.id);
    }
    assert.ok(saved?.image?.url, "the owner's image was saved");

    const second = await newPerson(t);
    await signUp(second.page, "stranger@example.com");
    const seen = await second.page.evaluate(
      async ({ id, url }) => ({
        prediction: (await fetch(`/api/replicate/${id}`)).status,
        file: (await fetch(url)).status,
      }),
      { id: created.id, url: saved.image.url },
    );
    assert.deepEqual(seen, { prediction: 404, file: 404 });
    await second.page.goto("/dashboard");
    await second.page.getByRole("heading", { name: "No images yet" }).waitFor();
    assert.equal(await second.page.getByText("private sunset").count(), 0);
  });

  it("shows a failed prediction's message in words and leaves the form usable", async (t) => {
    const { page } = await newPerson(t);
    await signUp(page, "failing@example.com");
    await generate(page, "this one will [fail]");
    await page.getByText(/asked to fail/i).first().waitFor({ timeout: 20_000 });
    await screenshot(page, "05-generate-failed");
    assert.equal(await page.getByLabel("Prompt", { exact: true }).isEnabled(), true);
    assert.equal(await page.getByLabel("Prompt", { exact: true }).inputValue(), "this one will [fail]");
  });

  it("deletes an image from the gallery", async (t) => {
    const { page } = await newPerson(t);
    await signUp(page, "deleter@example.com");
    await generate(page, "a short-lived image");
    await page.getByRole("img", { name: "a short-lived image" }).waitFor({ timeout: 20_000 });
    await page.goto("/dashboard");
    await page.getByRole("button", { name: "a short-lived image" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await screenshot(page, "06-image-details");
    await dialog.getByRole("button", { name: /^delete/i }).click();
    await dialog.getByRole("button", { name: /confirm/i }).click();
    await page.getByRole("button", { name: "a short-lived image" }).waitFor({ state: "detached" });
    await page.reload();
    await page.getByRole("heading", { name: "No images yet" }).waitFor();
  });
});
