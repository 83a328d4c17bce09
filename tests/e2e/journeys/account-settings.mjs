// Account settings in local mode: a forgotten password reset through the link
// the server logs, a password change, and deleting the account for good.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { app, assertNoPageErrors, createImages, newPerson, PASSWORD, signUp } from "../support/app.mjs";

const NEW_PASSWORD = "a brand new passphrase";

/** The newest reset link the server wrote to its log for `email`. */
async function loggedResetLink(email) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = app.server.output().split("\n").filter((line) => line.includes(`Password reset link for ${email}`));
    const link = /(http\S+)/.exec(lines.at(-1) ?? "")?.[1];
    if (link) return new URL(link);
    if (Date.now() > deadline) throw new Error(`no reset link for ${email} in the server's log`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function signInWith(page, email, password) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("account settings", () => {
  it("resets a forgotten password with the link from the server's log", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step } = person;
    const email = "resetter@example.com";
    await step("sign up, then sign out", async () => {
      await signUp(page, email);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL((url) => url.pathname === "/login");
    });
    await step("ask for a reset link from sign-in", async () => {
      await page.getByRole("link", { name: "Forgot password?" }).click();
      await page.waitForURL("**/forgot-password");
      await page.getByLabel("Email").fill(email);
      await page.getByRole("button", { name: "Send me a reset link" }).click();
      await page.getByRole("status").filter({ hasText: "If an account uses this email" }).waitFor();
    });
    await step("open the logged link and set a new password", async () => {
      const link = await loggedResetLink(email);
      await page.goto(`${link.pathname}${link.search}`);
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.waitForURL("**/dashboard/account?notice=password-reset");
      await page.getByText("Your new password is set").waitFor();
    });
    await step("the old password no longer works, the new one does", async () => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL((url) => url.pathname === "/login");
      await signInWith(page, email, PASSWORD);
      await page.locator("main [role=alert]").waitFor();
      await signInWith(page, email, NEW_PASSWORD);
      await page.waitForURL("**/dashboard/generate");
    });
    assertNoPageErrors(person);
  });

  it("changes the password from the account page", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step } = person;
    const email = "changer@example.com";
    await step("sign up and open the account page", async () => {
      await signUp(page, email);
      await page.getByRole("link", { name: "Account" }).click();
      await page.waitForURL("**/dashboard/account");
    });
    await step("a wrong current password is refused at its field", async () => {
      await page.getByLabel("Current password").fill("not my password");
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByText("Your current password is not right.").waitFor();
    });
    await step("the right one changes it, and this browser stays signed in", async () => {
      await page.getByLabel("Current password").fill(PASSWORD);
      await page.getByLabel("New password").fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await page.getByRole("status").filter({ hasText: "Your password is changed" }).waitFor();
      await page.goto("/dashboard");
      assert.equal(new URL(page.url()).pathname, "/dashboard");
    });
    assertNoPageErrors(person);
  });

  it("deletes the account and everything in it once the email is typed", { timeout: 60_000 }, async (t) => {
    const person = await newPerson(t);
    const { page, step } = person;
    const email = "leaving@example.com";
    const [made] = await step("sign up and make an image", async () => {
      await signUp(page, email);
      return createImages(page, ["a farewell postcard"]);
    });
    await step("a wrong email does not delete anything", async () => {
      await page.goto("/dashboard/account");
      await page.getByLabel(`Type ${email} to confirm`).fill("someone@example.com");
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByText("Type your email exactly as shown to confirm.").waitFor();
    });
    const cookies = await person.context.cookies();
    await step("typing it deletes the account and signs out", async () => {
      await page.getByLabel(`Type ${email} to confirm`).fill(email);
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.waitForURL("**/login?notice=account-deleted");
      await page.getByText("Your account and everything in it have been deleted.").waitFor();
    });
    await step("the old session and the image are gone, and the email can sign up afresh", async () => {
      const stolen = await newPerson(t, { storageState: { cookies, origins: [] } });
      await stolen.page.goto("/dashboard");
      // The cookie is still there, so the dashboard's own check (not the proxy's) sends it to sign-in.
      await stolen.page.waitForURL((url) => url.pathname === "/login");
      const status = await stolen.page.evaluate(async (url) => (await fetch(url)).status, made.images[0].url);
      assert.notEqual(status, 200);
      await signInWith(page, email, PASSWORD);
      await page.locator("main [role=alert]").waitFor();
      assert.equal((await page.locator("main [role=alert]").textContent()).trim(), "Wrong email or password.");
    });
    assertNoPageErrors(person);
  });
});
