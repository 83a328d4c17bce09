// Image inputs: upload a PNG and generate from it, paint a mask and inpaint,
// pick a gallery image as the input, refuse a 30 MB file and a text file named
// .png, and keep one person's inputs from another. Also measures a 10 MB input
// from the browser to the model (printed as `# input-10mb: …`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import sharp from "sharp";
import { assertNoPageErrors, newPerson, promptBox, signUp, waitForLoadedImage } from "../support/app.mjs";

const imageFile = (page, label = "Image file") => page.getByLabel(label, { exact: true });
const details = (page, name = "image") => page.getByTestId(`image-input-${name}-details`);
const resultImage = (page, prompt) => page.getByRole("region", { name: "Generation status" }).getByRole("img", { name: prompt });

async function png(width, height, { noise = false } = {}) {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i += 3) {
    if (noise) pixels.writeUIntBE(Math.floor(Math.random() * 0xffffff), i, 3);
    else pixels.set([200, 60 + ((i / 3) % width) / 8, 40], i);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: noise ? 0 : 6 }).toBuffer();
}

async function generateAndWait(page, prompt) {
  await promptBox(page).fill(prompt);
  await page.getByRole("button", { name: "Generate", exact: true }).click();
  return waitForLoadedImage(resultImage(page, prompt), 60_000);
}

describe("image inputs", () => {
  it("generates from an upload, inpaints a painted mask, uses a gallery image, and refuses what it must", { timeout: 240_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step, shot } = person;
    let aliceInput;

    await step("sign up", () => signUp(page, "inputs@example.com"));

    await step("upload a PNG, see its sizes, and generate from it", async () => {
      await page.getByLabel("Width", { exact: true }).fill("512");
      await page.getByLabel("Height", { exact: true }).fill("512");
      await imageFile(page).setInputFiles({ name: "harbour.png", mimeType: "image/png", buffer: await png(640, 480) });
      await details(page).filter({ hasText: "640 × 480 px" }).waitFor();
      aliceInput = await page.getByRole("img", { name: "Image preview" }).getAttribute("src");
      await shot("inputs-01-chosen");
      const made = await generateAndWait(page, "the harbour, repainted in oils");
      assert.equal(made.naturalWidth, 512);
    });

    await step("paint a mask over the image and inpaint", async () => {
      await page.getByRole("button", { name: "Generate another" }).click().catch(() => {});
      const canvas = page.getByTestId("mask-canvas");
      await canvas.waitFor();
      // Centred in the viewport, so the sticky site header cannot sit over the stroke.
      await canvas.evaluate((element) => element.scrollIntoView({ block: "center" }));
      const box = await canvas.boundingBox();
      await page.getByRole("button", { name: "Eraser" }).click();
      await page.getByRole("button", { name: "Paint" }).click();
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.7, { steps: 12 });
      await page.mouse.up();
      await page.getByText("Mask saved.").waitFor({ timeout: 15_000 });
      await details(page, "mask").waitFor();
      await shot("inputs-02-mask");
      await generateAndWait(page, "a lantern where the mask was painted");
    });

    await step("pick a gallery image as the input from the gallery's image view", async () => {
      await page.goto("/dashboard");
      await page.getByRole("list", { name: "Your images" }).getByRole("listitem").first().getByRole("button").click();
      const dialog = page.getByRole("dialog", { name: "Image details" });
      // The image view shows the input it was made from.
      await dialog.getByRole("img", { name: /used for this image/ }).first().waitFor();
      await dialog.getByRole("link", { name: "Use as input" }).click();
      await page.waitForURL("**/dashboard/generate?input=*");
      await details(page).filter({ hasText: "512 × 512 px" }).waitFor();
      await generateAndWait(page, "the same scene at night");
    });

    await step("refuse a 30 MB file and a text file named .png, with clear messages", async () => {
      await page.goto("/dashboard/generate");
      await imageFile(page).setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(30 * 1024 * 1024, 7) });
      await page.getByRole("alert").filter({ hasText: "This file is 30 MB: larger than the 20 MB an input image may be." }).waitFor();
      await imageFile(page).setInputFiles({ name: "notes.png", mimeType: "image/png", buffer: Buffer.from("Shopping list: bread, milk, eggs. ".repeat(40)) });
      await page.getByRole("alert").filter({ hasText: "This file is not a PNG, JPEG or WebP image, whatever its name says." }).waitFor();
      await shot("inputs-03-refused");
    });

    await step("measure a 10 MB image from the browser to the model", async () => {
      const big = await png(1870, 1870, { noise: true });
      const started = Date.now();
      await imageFile(page).setInputFiles({ name: "big.png", mimeType: "image/png", buffer: big });
      await details(page).filter({ hasText: "1870 × 1870 px" }).waitFor({ timeout: 60_000 });
      const uploaded = Date.now();
      const created = page.waitForResponse((response) => response.url().endsWith("/api/replicate") && response.request().method() === "POST");
      await promptBox(page).fill("the noise, tamed");
      await page.getByRole("button", { name: "Generate", exact: true }).click();
      const create = await created;
      const createdAt = Date.now();
      await waitForLoadedImage(resultImage(page, "the noise, tamed"), 90_000);
      console.log(
        `# input-10mb: ${(big.byteLength / 1048576).toFixed(1)} MB; upload+check ${uploaded - started} ms; ` +
          `create (read, check, hand to model) ${createdAt - uploaded} ms (HTTP ${create.status()}); to saved image ${Date.now() - createdAt} ms`,
      );
    });

    await step("a second person can neither read nor use the first person's input", async () => {
      const bob = await newPerson(t);
      await signUp(bob.page, "inputs-bob@example.com");
      const read = await bob.page.request.get(aliceInput);
      assert.equal(read.status(), 404);
      const ref = `input:${/inputs\/([0-9a-f-]{36})\./.exec(decodeURIComponent(aliceInput))[1]}`;
      const used = await bob.page.request.post("/api/replicate", { data: { input: { prompt: "borrowed", image: ref } } });
      assert.equal(used.status(), 422);
      assert.deepEqual((await used.json()).error.fields, { image: ["This image is not available any more. Choose it again."] });
    });

    assertNoPageErrors(person);
  });
});
