import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { testCookies } from "@/tests/support/cookie-jar";
import { startLocalApp, type LocalApp } from "@/tests/support/local-app";
import { form, redirectOf } from "@/tests/support/server-actions";

vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => new Headers({ "x-real-ip": "203.0.113.7" }) }));

const { signIn, signUp, signOut } = await import("@/app/(auth)/actions");

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp();
});
afterAll(() => app.stop());
beforeEach(() => testCookies.clear());

describe("sign-up, sign-in and sign-out", () => {
  it("signs a new person up, sets an HttpOnly session cookie and goes to the checked next path", async () => {
    const target = await redirectOf(
      signUp({}, form({ email: "New@Example.com ", password: "long enough", next: "/dashboard?x=1" })),
    );
    expect(target).toBe("/dashboard?x=1");
    const user = await app.context.auth.getUser(testCookies);
    expect(user?.email).toBe("new@example.com");
  });

  it("never redirects off the site, whatever next says", async () => {
    const target = await redirectOf(
      signUp({}, form({ email: "other@example.com", password: "long enough", next: "https://evil.example" })),
    );
    expect(target).toBe("/dashboard/generate");
  });

  it.each(["/.//evil.example", "/%2e//evil.example", "/\t/evil.example", "/x/..//evil.example"])(
    "never answers a redirect that normalises off the site: %s",
    async (next) => {
      await redirectOf(signUp({}, form({ email: "norm@example.com", password: "long enough" })));
      testCookies.clear();
      const target = await redirectOf(signIn({}, form({ email: "norm@example.com", password: "long enough", next })));
      expect(target).toBe("/dashboard/generate");
    },
  );

  it("explains field problems in words and keeps the email", async () => {
    const state = await signUp({}, form({ email: "not-an-email", password: "short" }));
    expect(state).toEqual({
      email: "not-an-email",
      fields: { email: ["Enter a valid email address."], password: ["Use at least 8 characters."] },
    });
    expect(testCookies.has("sdxl-session")).toBe(false);
  });

  it("refuses a second account for the same email", async () => {
    await redirectOf(signUp({}, form({ email: "twice@example.com", password: "long enough" })));
    testCookies.clear();
    const state = await signUp({}, form({ email: "TWICE@example.com", password: "another one" }));
    expect(state.error).toBe("An account with this email already exists. Sign in instead.");
  });

  it("signs in with the right password only, without saying which part was wrong", async () => {
    await redirectOf(signUp({}, form({ email: "sam@example.com", password: "right password" })));
    testCookies.clear();

    expect(await signIn({}, form({ email: "sam@example.com", password: "wrong password" }))).toEqual({
      email: "sam@example.com",
      error: "Wrong email or password.",
    });
    expect(await signIn({}, form({ email: "nobody@example.com", password: "right password" }))).toMatchObject({
      error: "Wrong email or password.",
    });
    expect(testCookies.has("sdxl-session")).toBe(false);

    expect(await redirectOf(signIn({}, form({ email: "sam@example.com", password: "right password" })))).toBe(
      "/dashboard/generate",
    );
    expect((await app.context.auth.getUser(testCookies))?.email).toBe("sam@example.com");
  });

  it("compares the whole password, case included", async () => {
    await redirectOf(signUp({}, form({ email: "exact@example.com", password: "Right Password" })));
    testCookies.clear();
    for (const attempt of ["right password", "RIGHT PASSWORD", "Right Passwor", "Right Password!"]) {
      expect(await signIn({}, form({ email: "exact@example.com", password: attempt }))).toMatchObject({ error: "Wrong email or password." });
    }
    expect(testCookies.has("sdxl-session")).toBe(false);
    expect(await redirectOf(signIn({}, form({ email: "exact@example.com", password: "Right Password" })))).toBe("/dashboard/generate");
  });

  it("signs out by clearing the session", async () => {
    await redirectOf(signUp({}, form({ email: "bye@example.com", password: "long enough" })));
    expect(await redirectOf(signOut())).toBe("/login");
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
  });
});
