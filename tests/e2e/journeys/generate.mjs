// The main journey: sign up → generate → progress → image → gallery after a reload →
// full size → copy prompt → download → use the settings again → delete.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { app, assertNoPageErrors, detailsOf, newPerson, promptBox, signUp, waitForLoadedImage } from "../support/app.mjs";

/** Where local mode keeps an image and its thumbnail, from its /api/files URL. */
function filesOf(url) {
  const objectPath = decodeURIComponent(new URL(url, "http://x").pathname.replace(/^\/api\/files\//, ""));
  return {
    original: path.join(app.server.dataDir, "storage", "sdxl-images", objectPath),
    thumbnail: path.join(app.server.dataDir, "thumbnails", `${objectPath}.w384.webp`),
  };
}

/** What the generate panel shows right now. */
function readPanel(page) {
  return page.evaluate(() => {
    const bar = document.querySelector('[role="progressbar"]');
    const prompt = document.querySelector("textarea[name=prompt]");
    const elapsed = [...document.querySelectorAll("p")].find((p) => p.textContent.startsWith("Elapsed time:"));
    return {
      percent: bar ? Number(bar.getAttribute("aria-valuenow")) : null,
      status: document.querySelector("[aria-live][aria-atomic]")?.textContent ?? null,
      step: document.querySelector('[aria-current="step"]')?.textContent ?? null,
      seconds: elapsed ? Number(/(\d+)s$/.exec(elapsed.textContent)?.[1]) : null,
      promptDisabled: prompt?.matches(":disabled") ?? null,
      promptValue: prompt?.value ?? null,
    };
  });
}

describe("making an image", () => {
  it("signs up, watches it render, then finds, opens, copies, downloads, reuses and deletes it", { timeout: 120_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step, shot } = person;
    await person.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: app.server.baseUrl });
    const prompt = "a lighthouse on a cliff at dawn, volumetric light";

    await step("sign up and land on the generate page", async () => {
      await signUp(page, "first@example.com");
      await page.getByRole("note", { name: "Local preview model" }).waitFor();
      await shot("01-generate-idle");
    });

    const samples = await step("submit with Ctrl+Enter and watch the progress", async () => {
      await promptBox(page).fill(prompt);
      await promptBox(page).press("Control+Enter");
      await page.getByRole("progressbar").waitFor();
      // Focus moves to the status panel, so a screen reader carries on from there.
      assert.equal(await page.evaluate(() => document.activeElement?.querySelector("h2")?.textContent), "Generation status");

      const seen = [];
      let photographed = false;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const panel = await readPanel(page);
        seen.push(panel);
        if (panel.status === "Status: Done") break;
        if (!photographed && panel.percent >= 30 && panel.percent < 90) {
          await shot("02-generate-progress");
          photographed = true;
        }
        await page.waitForTimeout(100);
      }
      return seen;
    });

    await step("the progress was visible, advancing, staged and timed, with the form locked", async () => {
      const running = samples.filter((s) => s.status !== "Status: Done");
      const percents = running.map((s) => s.percent).filter((p) => p !== null);
      assert.ok(new Set(percents.filter((p) => p > 0 && p < 100)).size >= 2, `progress advanced: ${percents.join(", ")}`);
      assert.deepEqual(percents, [...percents].sort((a, b) => a - b), "progress never goes backwards");
      const statuses = new Set(samples.map((s) => s.status));
      assert.ok(statuses.has("Status: Generating"), `stages seen: ${[...statuses].join(", ")}`);
      assert.equal(samples.at(-1).status, "Status: Done");
      assert.ok(running.some((s) => s.step === "Generating"), "the step list marks the current stage");
      assert.ok(Math.max(...running.map((s) => s.seconds ?? 0)) >= 1, "elapsed time ticks");
      assert.ok(running.every((s) => s.promptDisabled === true && s.promptValue === prompt), "form locked, prompt kept");
    });

    const shown = await step("the image is shown and the form handed back", async () => {
      const image = page.getByRole("region", { name: "Generation status" }).getByRole("img", { name: prompt });
      const loaded = await waitForLoadedImage(image);
      assert.equal(loaded.naturalWidth, 1024);
      assert.equal(await promptBox(page).isEnabled(), true);
      assert.equal(await promptBox(page).inputValue(), prompt);
      await shot("03-generate-done");
      return loaded;
    });
    const files = filesOf(shown.src);

    const tile = page.getByRole("button", { name: prompt });
    await step("the gallery shows it after a reload, as a thumbnail", async () => {
      await page.goto("/dashboard");
      await page.reload();
      const thumb = await waitForLoadedImage(tile.locator("img"));
      // At 1x the 264 px tile takes the 384 px candidate of its srcset.
      assert.match(thumb.src, /\?w=384$/);
      const sizes = await page.evaluate(
        async ([thumbUrl, fullUrl]) => {
          const [small, full] = await Promise.all([fetch(thumbUrl), fetch(fullUrl)]);
          const smallBlob = await small.blob();
          const bitmap = await createImageBitmap(smallBlob);
          return {
            type: small.headers.get("content-type"),
            width: bitmap.width,
            small: smallBlob.size,
            full: (await full.arrayBuffer()).byteLength,
          };
        },
        [thumb.src, shown.src],
      );
      assert.equal(sizes.type, "image/webp");
      assert.equal(sizes.width, 384);
      assert.ok(sizes.small * 10 < sizes.full, `thumbnail ${sizes.small} B vs full ${sizes.full} B`);
      assert.ok(existsSync(files.thumbnail), "the thumbnail is cached on disk");
      await shot("04-gallery");
    });

    const dialog = page.getByRole("dialog", { name: "Image details" });
    const seed = await step("open it full size, with its details", async () => {
      await tile.click();
      const full = await waitForLoadedImage(dialog.getByRole("img", { name: prompt }));
      assert.equal(full.naturalWidth, 1024);
      assert.doesNotMatch(full.src, /\?w=/);
      const details = await detailsOf(dialog);
      assert.equal(details.Model, "Local preview model");
      assert.equal(details.Size, "1024 × 1024");
      // The settings it was made with, named after the model's inputs, defaults included.
      assert.equal(details["Num inference steps"], "30");
      assert.equal(details["Guidance scale"], "7.5");
      assert.ok(details.Created, "the date it was made");
      assert.match(details.Seed, /^\d+$/);
      await shot("05-image-details");
      return details.Seed;
    });

    await step("copy the prompt", async () => {
      await dialog.getByRole("button", { name: "Copy prompt" }).click();
      await dialog.getByRole("status").filter({ hasText: "Prompt copied" }).waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), prompt);
    });

    await step("download the full image under a readable name", async () => {
      const [download] = await Promise.all([page.waitForEvent("download"), dialog.getByRole("link", { name: "Download" }).click()]);
      assert.equal(download.suggestedFilename(), "a-lighthouse-on-a-cliff-at-dawn-volumetric-light.png");
      const bytes = await readFile(await download.path());
      assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
      assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1024, 1024]);
    });

    await step("use these settings again", async () => {
      await dialog.getByRole("link", { name: "Use these settings again" }).click();
      await page.waitForURL(/\/dashboard\/generate\?from=/);
      assert.equal(await promptBox(page).inputValue(), prompt);
      await page.getByText("Advanced settings").click();
      assert.equal(await page.getByRole("spinbutton", { name: "Seed" }).inputValue(), seed);
      await shot("06-generate-reused-settings");
    });

    await step("delete it, after confirming", async () => {
      await page.goto("/dashboard");
      await tile.click();
      await dialog.getByRole("button", { name: "Delete" }).click();
      await dialog.getByText("Press Confirm delete to go ahead").waitFor();
      await dialog.getByRole("button", { name: "Confirm delete" }).click();
      await tile.waitFor({ state: "detached" });
      await page.reload();
      await page.getByRole("heading", { name: "No images yet" }).waitFor();
      assert.equal(existsSync(files.original), false, "the file is gone");
      assert.equal(existsSync(files.thumbnail), false, "its thumbnail is gone");
      await shot("07-gallery-after-delete");
    });

    assertNoPageErrors(person);
  });
});
