// axe-core on every page and state, in light and dark, at 1280 and 360 px wide
// (support/axe.mjs), plus keyboard focus that can be seen.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertNoPageErrors,
  createImages,
  generate,
  holdPolling,
  newPerson,
  signUp,
  waitForLoadedImage,
  waitForProgress,
} from "../support/app.mjs";
import { audit } from "../support/axe.mjs";

describe("accessibility", () => {
  it("has no serious or critical axe violations on any page, in light and dark, at 1280 and 360 px", { timeout: 180_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step } = person;

    await step("home", async () => {
      await page.goto("/");
      await audit(page, "home");
    });
    await step("sign-in, and its error state", async () => {
      await page.goto("/login");
      await audit(page, "login");
      await page.getByRole("button", { name: "Sign in" }).click();
      // The first field that needs fixing takes focus, with its message attached.
      const email = page.getByLabel("Email");
      await page.waitForFunction(() => document.activeElement?.getAttribute("type") === "email");
      assert.equal(await email.getAttribute("aria-invalid"), "true");
      await audit(page, "login-errors");
    });
    await step("sign-up", async () => {
      await page.goto("/signup");
      await audit(page, "signup");
    });

    await step("the empty gallery, which leads to the generate page", async () => {
      await signUp(page, "a11y@example.com");
      await page.goto("/dashboard");
      await page.getByRole("heading", { name: "No images yet" }).waitFor();
      await audit(page, "gallery-empty");
      await page.getByRole("link", { name: "Generate your first image" }).click();
      await page.waitForURL("**/dashboard/generate");
    });

    await step("generate: idle", async () => {
      await page.getByRole("note", { name: "Local preview model" }).waitFor();
      await audit(page, "generate-idle");
    });

    await step("generate: running (polls held so the state stays put)", async () => {
      await generate(page, "a quiet harbour at night, lanterns on the water");
      await waitForProgress(page, 20);
      const release = await holdPolling(page);
      await audit(page, "generate-running");
      await release();
    });

    await step("generate: done", async () => {
      const panel = page.getByRole("region", { name: "Generation status" });
      await waitForLoadedImage(panel.getByRole("img", { name: "a quiet harbour at night, lanterns on the water", exact: true }));
      await audit(page, "generate-done");
    });

    await step("generate: failed", async () => {
      await generate(page, "a harbour that will not render [fail]");
      await page.getByRole("alert").filter({ hasText: "Generation failed" }).waitFor({ timeout: 20_000 });
      await audit(page, "generate-failed");
    });

    await step("the gallery with images, and the image dialog", async () => {
      await createImages(page, ["a field of tulips in the wind", "a red bicycle against a blue wall", "a lighthouse keeper's kitchen"]);
      await page.goto("/dashboard");
      await waitForLoadedImage(page.getByRole("button", { name: "a field of tulips in the wind" }).locator("img"));
      await audit(page, "gallery");
      await page.getByRole("button", { name: "a red bicycle against a blue wall" }).click();
      await waitForLoadedImage(page.getByRole("dialog").getByRole("img"));
      await audit(page, "image-dialog");
      await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await audit(page, "image-dialog-confirm-delete");
    });

    assertNoPageErrors(person);
  });

  it("shows where keyboard focus is", { timeout: 30_000 }, async (t) => {
    const { page, step } = await newPerson(t);
    await step("tab through the sign-in page", async () => {
      await page.goto("/login");
      const outlines = [];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press("Tab");
        outlines.push(
          await page.evaluate(() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return { tag: element.tagName, outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 };
          }),
        );
      }
      assert.ok(outlines.every((entry) => entry.outline), `focus rings: ${JSON.stringify(outlines)}`);
    });
  });
});
