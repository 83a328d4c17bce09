// Signing up through the real form, posted as a browser without JavaScript
// would (the form works before JS loads), from an address of its own: the
// servers trust 127.0.0.1 as a proxy (startServer's TRUSTED_PROXIES), so the
// per-address sign-up limit sees many people, not one address signing up dozens.
import assert from "node:assert/strict";
import { nextClientAddress } from "../e2e/support/server.mjs";

export const PASSWORD = "correct horse battery";

const decode = (text) =>
  text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** A new account; answers its Cookie header and user id. */
export async function signUp(baseUrl, email) {
  const html = await (await fetch(`${baseUrl}/signup`)).text();
  const form = html.match(/<form[\s\S]*?<\/form>/)?.[0];
  assert.ok(form, "the sign-up page has a form");
  const data = new FormData();
  for (const [, name, value = ""] of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)) data.append(decode(name), decode(value));
  data.set("email", email);
  data.set("password", PASSWORD);
  const response = await fetch(`${baseUrl}/signup`, {
    method: "POST",
    body: data,
    redirect: "manual",
    headers: { origin: baseUrl, "x-forwarded-for": nextClientAddress() },
  });
  assert.equal(response.status, 303, `sign-up of ${email} redirects`);
  const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  const token = cookie.match(/sdxl-session=([^;]+)/)?.[1];
  assert.ok(token, `sign-up of ${email} sets a session`);
  return { email, cookie, userId: JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")).sub };
}
