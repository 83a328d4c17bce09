// When things go wrong: a failed prediction, a canceled one, and a form submitted empty.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertNoPageErrors, generate, newPerson, promptBox, signUp, statusLine, waitForProgress } from "../support/app.mjs";

describe("when things go wrong", () => {
  it("says what is missing when the prompt is empty, and takes focus there", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step, shot } = person;
    await step("sign up", () => signUp(page, "forgetful@example.com"));
    await step("submit nothing", async () => {
      await page.getByRole("button", { name: "Generate", exact: true }).click();
      const summary = page.getByRole("alert").filter({ hasText: "Check this field" });
      await summary.waitFor();
      assert.equal(await summary.evaluate((element) => element === document.activeElement), true, "the summary has focus");
      assert.equal(await promptBox(page).getAttribute("aria-invalid"), "true");
      await shot("08-generate-invalid");
    });
    await step("its link leads to the field", async () => {
      await page.getByRole("alert").getByRole("link", { name: /^Prompt:/ }).click();
      assert.equal(await promptBox(page).evaluate((element) => element === document.activeElement), true);
    });
    assertNoPageErrors(person);
  });

  it("shows a failed prediction's message in words and hands the form back", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step, shot } = person;
    const prompt = "a cathedral of glass [fail]";
    await step("sign up and generate something the model will refuse", async () => {
      await signUp(page, "failing@example.com");
      await generate(page, prompt);
    });
    await step("the failure is readable and has focus", async () => {
      const notice = page.getByRole("alert").filter({ hasText: "Generation failed" });
      await notice.waitFor({ timeout: 20_000 });
      assert.match(await notice.textContent(), /asked to fail/);
      assert.equal(await notice.evaluate((element) => element === document.activeElement), true, "the message has focus");
      assert.equal(await statusLine(page).textContent(), "Status: Failed");
      await shot("09-generate-failed");
    });
    await step("the form is usable again, with the prompt kept", async () => {
      assert.equal(await promptBox(page).isEnabled(), true);
      assert.equal(await promptBox(page).inputValue(), prompt);
      await promptBox(page).fill("a cathedral of glass");
      await page.getByRole("button", { name: "Generate", exact: true }).click();
      await page.getByRole("progressbar").waitFor();
    });
    assertNoPageErrors(person);
  });

  it("cancels a running prediction: it stops, says so, and nothing is saved", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step, shot } = person;
    const prompt = "a slow glacier, time-lapse";
    const id = await step("start one and wait until it is drawing", async () => {
      await signUp(page, "canceler@example.com");
      const created = page.waitForResponse((response) => response.url().endsWith("/api/replicate") && response.status() === 201);
      await generate(page, prompt);
      const { id } = await (await created).json();
      await waitForProgress(page, 1);
      return id;
    });
    await step("cancel it", async () => {
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.getByRole("alert").filter({ hasText: "Nothing was saved." }).waitFor();
      assert.equal(await statusLine(page).textContent(), "Status: Canceled");
      assert.equal(await promptBox(page).isEnabled(), true);
      assert.equal(await promptBox(page).inputValue(), prompt);
      await shot("10-generate-canceled");
    });
    await step("it stays canceled past the time it would have finished, with no image anywhere", async () => {
      await page.waitForTimeout(4_500);
      const view = await page.evaluate(async (id) => (await fetch(`/api/replicate/${id}`)).json(), id);
      assert.equal(view.status, "canceled");
      assert.deepEqual(view.images, []);
      assert.equal(await page.getByRole("region", { name: "Generation status" }).getByRole("img").count(), 0);
      await page.goto("/dashboard");
      await page.getByRole("heading", { name: "No images yet" }).waitFor();
    });
    assertNoPageErrors(person);
  });
});
