// Any Replicate image model: the app pointed (REPLICATE_BASE_URL) at a stand-in
// on loopback that behaves like Replicate for the fixture models
// (support/replicate-stand-in.mjs). First flux-schnell alone, then flux-schnell
// and SDXL side by side, each on a `next start` of its own over the same build.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { loadModelFixtures } from "../../fixtures/replicate-models/traits.mjs";
import {
  assertNoPageErrors,
  detailsOf,
  holdPolling,
  newPerson,
  promptBox,
  serveWith,
  signUp,
  stopServer,
  waitForLoadedImage,
  waitForProgress,
} from "../support/app.mjs";
import { audit } from "../support/axe.mjs";
import { startReplicateStandIn } from "../support/replicate-stand-in.mjs";

const FLUX = "black-forest-labs/flux-schnell";
const SDXL_VERSION = loadModelFixtures().find((fixture) => fixture.ref === "stability-ai/sdxl").version;

/** The stand-in of the describe block under way. */
let standIn;
/**
 * One data folder for the servers here, one after the other: creating a database
 * takes seconds (tens on a busy machine), reopening one a fraction of a second.
 */
const dataDir = mkdtempSync(path.join(os.tmpdir(), "sdxl-e2e-replicate-"));
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** A stand-in and a server pointed at it for one describe block; `models` holds REPLICATE_MODEL or REPLICATE_MODELS. */
function replicateServer(name, models) {
  const running = {};
  before(async () => {
    standIn = await startReplicateStandIn({ models: [FLUX, "stability-ai/sdxl"], queueMs: 300, runMs: 3000 });
    running.server = await serveWith(name, { ...standIn.env(models), DATA_DIR: dataDir });
  });
  after(async () => {
    await stopServer(running.server);
    await standIn?.close();
  });
  return running;
}

/** Generates from the form as it stands; answers the new prediction's id. */
async function generateNow(page) {
  const created = page.waitForResponse((response) => response.url().endsWith("/api/replicate") && response.request().method() === "POST");
  await page.getByRole("button", { name: "Generate", exact: true }).click();
  const response = await created;
  assert.equal(response.status(), 201, await response.text());
  return (await response.json()).id;
}

/** The app's answer for a prediction, from inside the page (with its session). */
const pollAnswer = (page, id) => page.evaluate(async (id) => (await fetch(`/api/replicate/${id}`, { cache: "no-store" })).json(), id);

/** What the app stored for an image: its file in local mode's storage, read for what it really is. */
async function storedFile(server, url) {
  const objectPath = decodeURIComponent(new URL(url, "http://x").pathname.replace(/^\/api\/files\//, ""));
  const { format, width, height } = await sharp(path.join(server.dataDir, "storage", "sdxl-images", objectPath)).metadata();
  return { format, width, height };
}

/** The prediction as Replicate (the stand-in) reports it. */
async function upstream(id) {
  const response = await fetch(`${standIn.baseUrl}/predictions/${id}`, { headers: { authorization: `Bearer ${standIn.token}` } });
  return response.json();
}

/** The last create the app sent upstream. */
const lastCreate = () => standIn.creates().at(-1);

const chooseOption = (page, group, option) => page.getByRole("group", { name: group }).locator("label", { hasText: option }).click();

describe("flux-schnell on Replicate", () => {
  const running = replicateServer("flux-schnell", { REPLICATE_MODEL: FLUX });

  it("generates with the form untouched, then at 16:9, then two at once: WebP files at flux's own sizes, all in the gallery", { timeout: 180_000 }, async (t) => {
    const { server } = running;
    const person = await newPerson(t, { server });
    const { page, step, shot } = person;
    const panel = page.getByRole("region", { name: "Generation status" });
    const dialog = page.getByRole("dialog", { name: "Image details" });

    await step("sign up: the form is flux-schnell's, drawn from its schema", async () => {
      await signUp(page, "flux@example.com");
      await page.getByText("FLUX.1 [schnell]").waitFor();
      assert.equal(await page.getByRole("note", { name: "Local preview model" }).count(), 0);
      assert.equal(await page.getByRole("radio", { name: "1:1" }).isChecked(), true, "aspect ratio 1:1 by default");
      assert.equal(await page.getByRole("group", { name: "Num Outputs" }).getByRole("radio", { name: "1" }).isChecked(), true);
      assert.equal(await page.getByRole("textbox", { name: "Negative Prompt" }).count(), 0, "flux takes no negative prompt");
      await page.getByText("Advanced settings").click();
      assert.equal(await page.getByRole("switch", { name: "Go Fast" }).getAttribute("aria-checked"), "true");
      assert.equal(await page.getByRole("spinbutton", { name: "Num Inference Steps" }).inputValue(), "4");
      await audit(page, "flux-form");
      await page.getByText("Advanced settings").click();
      await shot("20-flux-idle");
    });

    const prompt = "a lighthouse on a cliff at dawn, volumetric light";
    const first = await step("a default generate: prompt only, nothing else touched", async () => {
      await promptBox(page).fill(prompt);
      const id = await generateNow(page);
      // Progress comes from the model's own tqdm lines.
      await waitForProgress(page, 1);
      const image = await waitForLoadedImage(panel.getByRole("img", { name: prompt, exact: true }));
      assert.deepEqual([image.naturalWidth, image.naturalHeight], [1024, 1024]);
      await panel.getByText("1024 × 1024").waitFor();
      await shot("21-flux-done");
      return id;
    });

    await step("it was created by name and its WebP stored at the size it has", async () => {
      const sent = lastCreate();
      assert.equal(sent.path, `/v1/models/${FLUX}/predictions`);
      assert.equal(sent.body.input.prompt, prompt);
      const view = await pollAnswer(page, first);
      assert.equal(view.status, "succeeded");
      assert.equal(view.images.length, 1);
      const [image] = view.images;
      assert.match(image.url, /\.webp$/);
      assert.deepEqual([image.width, image.height], [1024, 1024]);
      assert.deepEqual(await storedFile(server, image.url), { format: "webp", width: 1024, height: 1024 });
      // The seed the model printed ("Using seed: N") is the one recorded.
      const seed = Number(/Using seed: (\d+)/.exec((await upstream(first)).logs)[1]);
      assert.equal(view.seed, seed);
    });

    await step("in the gallery: a WebP, its model, size and seed", async () => {
      await page.goto("/dashboard");
      await waitForLoadedImage(page.getByRole("button", { name: prompt }).locator("img"));
      await page.getByRole("button", { name: prompt }).click();
      await waitForLoadedImage(dialog.getByRole("img", { name: prompt }));
      const details = await detailsOf(dialog);
      assert.equal(details.Model, "FLUX.1 [schnell]");
      assert.equal(details.Size, "1024 × 1024");
      assert.equal(Number(details.Seed), (await pollAnswer(page, first)).seed);
      // The server names the download (Content-Disposition), in the link's `download` parameter.
      const href = await dialog.getByRole("link", { name: "Download" }).getAttribute("href");
      assert.match(new URL(href, page.url()).searchParams.get("download"), /\.webp$/);
      await shot("22-flux-details");
      await dialog.getByRole("button", { name: "Close" }).click();
    });

    const wide = "a wide harbour at dusk, fishing boats";
    const second = await step("aspect ratio 16:9 gives flux's 16:9 size, 1344 × 768", async () => {
      await page.goto("/dashboard/generate");
      await promptBox(page).fill(wide);
      await chooseOption(page, "Aspect ratio", "16:9");
      assert.equal(await page.getByRole("radio", { name: "16:9" }).isChecked(), true);
      const id = await generateNow(page);
      const image = await waitForLoadedImage(panel.getByRole("img", { name: wide, exact: true }));
      assert.deepEqual([image.naturalWidth, image.naturalHeight], [1344, 768]);
      await panel.getByText("1344 × 768").waitFor();
      assert.equal(lastCreate().body.input.aspect_ratio, "16:9");
      return id;
    });

    await step("recorded as 1344 × 768, as the file really is, in the gallery too", async () => {
      const [image] = (await pollAnswer(page, second)).images;
      assert.deepEqual([image.width, image.height], [1344, 768]);
      assert.deepEqual(await storedFile(server, image.url), { format: "webp", width: 1344, height: 768 });
      await page.goto("/dashboard");
      await page.getByRole("button", { name: wide }).click();
      const full = await waitForLoadedImage(dialog.getByRole("img", { name: wide }));
      assert.deepEqual([full.naturalWidth, full.naturalHeight], [1344, 768]);
      const details = await detailsOf(dialog);
      assert.equal(details.Size, "1344 × 768");
      assert.equal(details["Aspect ratio"], "16:9");
      await dialog.getByRole("button", { name: "Close" }).click();
    });

    const pair = "two paper lanterns over a river";
    const third = await step("two images: two placeholders in the shape asked for", async () => {
      await page.goto("/dashboard/generate");
      await promptBox(page).fill(pair);
      await chooseOption(page, "Num Outputs", "2");
      await chooseOption(page, "Aspect ratio", "16:9");
      const release = await holdPolling(page);
      const id = await generateNow(page);
      const placeholders = [1, 2].map((n) => panel.getByRole("img", { name: `Image ${n} of 2, not ready yet` }));
      for (const placeholder of placeholders) await placeholder.waitFor();
      const box = await placeholders[0].boundingBox();
      assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.05, `a 16:9 placeholder: ${box.width}×${box.height}`);
      await shot("23-flux-two-placeholders");
      await audit(page, "flux-two-placeholders");
      await release();
      return id;
    });

    await step("which fill with two images, both saved and both in the gallery", async () => {
      for (const n of [1, 2]) {
        const image = await waitForLoadedImage(panel.getByRole("img", { name: `${pair} (image ${n} of 2)`, exact: true }));
        assert.deepEqual([image.naturalWidth, image.naturalHeight], [1344, 768]);
      }
      assert.equal(await panel.getByRole("img", { name: /not ready yet/ }).count(), 0);
      await shot("24-flux-two-images");
      assert.equal(lastCreate().body.input.num_outputs, 2);
      const view = await pollAnswer(page, third);
      assert.deepEqual(view.images.map((image) => image.index), [0, 1]);
      assert.equal(new Set(view.images.map((image) => image.url)).size, 2);
      for (const image of view.images) assert.deepEqual(await storedFile(server, image.url), { format: "webp", width: 1344, height: 768 });
      await page.goto("/dashboard");
      assert.equal(await page.getByRole("button", { name: pair }).count(), 2);
      for (const tile of await page.getByRole("button", { name: pair }).all()) await waitForLoadedImage(tile.locator("img"));
    });

    assertNoPageErrors(person);
  });
});

describe("two Replicate models to pick from", () => {
  const running = replicateServer("two-models", { REPLICATE_MODELS: `${FLUX},stability-ai/sdxl:${SDXL_VERSION}` });

  it("offers both; SDXL brings its negative prompt and makes a PNG", { timeout: 120_000 }, async (t) => {
    const { server } = running;
    const person = await newPerson(t, { server });
    const { page, step, shot } = person;
    const picker = page.getByRole("combobox", { name: "Model" });
    const negative = page.getByRole("textbox", { name: "Negative Prompt" });

    await step("the picker lists both, flux first and chosen, with no negative prompt", async () => {
      await signUp(page, "picker@example.com");
      const options = await picker.locator("option").evaluateAll((list) => list.map((option) => [option.textContent, option.disabled]));
      assert.deepEqual(options, [
        ["FLUX.1 [schnell]", false],
        ["Stable Diffusion XL", false],
      ]);
      assert.equal(await picker.evaluate((select) => select.selectedOptions[0].textContent), "FLUX.1 [schnell]");
      assert.equal(await negative.count(), 0);
      await audit(page, "model-picker");
    });

    const prompt = "an astronaut tending a garden on the moon";
    await step("switching to SDXL shows its own fields, the prompt kept", async () => {
      await promptBox(page).fill(prompt);
      await picker.selectOption({ label: "Stable Diffusion XL" });
      await negative.waitFor();
      assert.equal(await page.getByRole("group", { name: "Aspect ratio" }).count(), 0, "SDXL has width and height instead");
      assert.equal(await page.getByRole("spinbutton", { name: "Width" }).inputValue(), "1024");
      assert.equal(await promptBox(page).inputValue(), prompt);
      await negative.fill("blurry, low contrast");
      await shot("25-sdxl-form");
    });

    const id = await step("a generate on SDXL works", async () => {
      const id = await generateNow(page);
      const image = await waitForLoadedImage(page.getByRole("region", { name: "Generation status" }).getByRole("img", { name: prompt, exact: true }));
      assert.deepEqual([image.naturalWidth, image.naturalHeight], [1024, 1024]);
      return id;
    });

    await step("it ran SDXL's pinned version with the negative prompt, and its PNG is stored", async () => {
      const sent = lastCreate();
      assert.equal(sent.path, "/v1/predictions");
      assert.equal(sent.body.version, SDXL_VERSION);
      assert.equal(sent.body.input.negative_prompt, "blurry, low contrast");
      const [image] = (await pollAnswer(page, id)).images;
      assert.match(image.url, /\.png$/);
      assert.deepEqual(await storedFile(server, image.url), { format: "png", width: 1024, height: 1024 });
      await page.goto("/dashboard");
      await page.getByRole("button", { name: prompt }).click();
      const details = await detailsOf(page.getByRole("dialog", { name: "Image details" }));
      assert.equal(details.Model, "Stable Diffusion XL");
      assert.equal(details["Negative prompt"], "blurry, low contrast");
      await shot("26-sdxl-details");
    });

    assertNoPageErrors(person);
  });
});
