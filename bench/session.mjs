// A signed-in person in Chromium, through the real sign-up form.
import { nextClientAddress } from "../tests/e2e/support/server.mjs";

let counter = 0;

/** Signs up a new person in a fresh context; returns the page, its context and a Cookie header. */
export async function signUp(browser, baseUrl) {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1280, height: 900 },
    // Each person from their own address, as behind a proxy (see startServer's TRUSTED_PROXIES).
    extraHTTPHeaders: { "x-forwarded-for": nextClientAddress() },
  });
  const page = await context.newPage();
  const email = `bench-${process.pid}-${++counter}@example.com`;
  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: /create account|sign up/i }).click();
  await page.waitForURL("**/dashboard/generate");
  const cookies = await context.cookies(baseUrl);
  return {
    context,
    page,
    email,
    cookies,
    cookieHeader: cookies.map(({ name, value }) => `${name}=${value}`).join("; "),
  };
}
