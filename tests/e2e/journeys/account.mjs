// Accounts: the way in from a signed-out link, signing out and back in, and what a
// second person can see of the first (nothing).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertNoPageErrors, createImages, newPerson, PASSWORD, promptBox, signIn, signUp, waitForLoadedImage } from "../support/app.mjs";

describe("accounts", () => {
  it("sends a signed-out visit to sign-in and, after signing up, back to where it was going", { timeout: 60_000 }, async (t) => {
    const { page, step } = await newPerson(t);
    await step("a signed-out visit to the gallery asks to sign in", async () => {
      await page.goto("/dashboard");
      await page.waitForURL("**/login?next=%2Fdashboard");
    });
    await step("sign up from there and arrive at the gallery", async () => {
      await page.getByRole("link", { name: "Create an account" }).click();
      await page.waitForURL("**/signup?next=%2Fdashboard");
      await page.getByLabel("Email").fill("returning@example.com");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL((url) => url.pathname === "/dashboard");
    });
  });

  it("after a session dies, signing in again comes back to the page that was asked for", { timeout: 60_000 }, async (t) => {
    const { page, step, context } = await newPerson(t);
    const email = "expired@example.com";
    await step("sign up, then the session cookie stops being valid (expired, or revoked elsewhere)", async () => {
      await signUp(page, email);
      const [cookie] = (await context.cookies()).filter((candidate) => candidate.name === "sdxl-session");
      assert.ok(cookie, "signed in with a session cookie");
      await context.addCookies([{ ...cookie, value: "expired" }]);
    });
    await step("a visit to account settings asks to sign in, naming the way back", async () => {
      await page.goto("/dashboard/account?from=email");
      await page.waitForURL("**/login?next=%2Fdashboard%2Faccount%3Ffrom%3Demail");
    });
    await step("signing in lands on account settings, not the default page", async () => {
      await signIn(page, email);
      await page.waitForURL((url) => url.pathname === "/dashboard/account" && url.search === "?from=email");
      await page.getByRole("heading", { level: 1 }).waitFor();
    });
  });

  it("signs out, is kept out, and signs back in to the same gallery", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step } = person;
    const email = "comeback@example.com";
    await step("sign up and make an image", async () => {
      await signUp(page, email);
      await createImages(page, ["a paper boat on a puddle"]);
    });
    await step("sign out from the header", async () => {
      await page.goto("/dashboard");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL((url) => url.pathname === "/login");
    });
    await step("the gallery is closed to a signed-out visit", async () => {
      await page.goto("/dashboard");
      await page.waitForURL("**/login?next=%2Fdashboard");
      assert.equal(await page.evaluate(async () => (await fetch("/api/replicate", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status), 401);
    });
    await step("sign in and find the image again", async () => {
      await signIn(page, email);
      await page.waitForURL((url) => url.pathname === "/dashboard");
      await waitForLoadedImage(page.getByRole("button", { name: "a paper boat on a puddle" }).locator("img"));
    });
    assertNoPageErrors(person);
  });

  it(
    "refuses a wrong password in words, keeping the email",
    { timeout: 30_000 },
    async (t) => {
      const { page, step } = await newPerson(t);
      await step("sign up, then sign out", async () => {
        await signUp(page, "mistyped@example.com");
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.waitForURL((url) => url.pathname === "/login");
      });
      await step("a wrong password is refused in words, keeping the email", async () => {
        await page.getByLabel("Email").fill("mistyped@example.com");
        await page.getByLabel("Password").fill("not the password");
        await page.getByRole("button", { name: "Sign in" }).click();
        // The form's own alert (Next's route announcer is an alert too, outside main).
        await page.locator("main [role=alert]").waitFor();
        assert.equal((await page.locator("main [role=alert]").textContent()).trim(), "Wrong email or password.");
        assert.equal(await page.getByLabel("Email").inputValue(), "mistyped@example.com");
      });
    },
  );

  it("shows a second person nothing of the first's: gallery, image URLs or prediction ids", { timeout: 60_000 }, async (t) => {
    const owner = await newPerson(t);
    const [made] = await owner.step("the first person makes an image", async () => {
      await signUp(owner.page, "owner@example.com");
      return createImages(owner.page, ["private sunset over the harbour"], { seed: 1 });
    });
    const imageId = await owner.step("which is in their gallery", async () => {
      await owner.page.goto("/dashboard");
      await owner.page.getByRole("button", { name: "private sunset over the harbour" }).click();
      const link = owner.page.getByRole("dialog").getByRole("link", { name: "Use these settings again" });
      return new URL(await link.getAttribute("href"), "http://x").searchParams.get("from");
    });

    const stranger = await newPerson(t);
    await stranger.step("the second person signs up", () => signUp(stranger.page, "stranger@example.com"));
    await stranger.step("every URL of the first's image and prediction answers 404", async () => {
      const url = made.images[0].url;
      const statuses = await stranger.page.evaluate(
        async ({ id, url }) => {
          const status = async (input, init) => (await fetch(input, init)).status;
          return {
            prediction: await status(`/api/replicate/${id}`),
            cancel: await status(`/api/replicate/${id}/cancel`, { method: "POST" }),
            file: await status(url),
            thumbnail: await status(`${url}?w=384`),
            download: await status(`${url}?download=1`),
          };
        },
        { id: made.id, url },
      );
      assert.deepEqual(statuses, { prediction: 404, cancel: 404, file: 404, thumbnail: 404, download: 404 });
    });
    await stranger.step("their gallery is empty and names nothing of the first's", async () => {
      await stranger.page.goto("/dashboard");
      await stranger.page.getByRole("heading", { name: "No images yet" }).waitFor();
      const html = await stranger.page.content();
      for (const secret of [made.id, imageId, "private sunset"]) assert.equal(html.includes(secret), false, `the page names ${secret}`);
    });
    await stranger.step("the first's image id does not fill the generate form", async () => {
      await stranger.page.goto(`/dashboard/generate?from=${imageId}`);
      assert.equal(await promptBox(stranger.page).inputValue(), "");
      assert.equal((await stranger.page.content()).includes("private sunset"), false);
    });
    assertNoPageErrors(stranger);
  });
});
