import { access } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { backends, countImages, countPredictions, objectsOfImages, type TestApp } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params } from "@/tests/support/local-app";
import type { SupabaseApp } from "@/tests/support/supabase-app";
import { form, redirectOf } from "@/tests/support/server-actions";

vi.mock("next/headers", () => ({
  cookies: async () => testCookies,
  headers: async () => new Headers({ origin: "http://localhost:3000", host: "localhost:3000" }),
}));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { requestPasswordReset, resetPassword, signIn } = await import("@/app/(auth)/actions");
const { changePassword, deleteAccount } = await import("@/app/dashboard/account/actions");
const { POST } = await import("@/app/api/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const callback = await import("@/app/auth/callback/route");

const OLD = "correct horse battery";
const NEW = "a brand new passphrase";

describe.each(backends)("accounts on the $name backend", ({ name, start }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await start({ RATE_LIMIT_CONCURRENT: "50", RATE_LIMIT_CREATES_PER_MINUTE: "50" });
  });
  afterAll(() => app.stop());
  beforeEach(() => testCookies.clear());

  const signsIn = async (email: string, password: string) => {
    testCookies.clear();
    return (await redirectOf(signIn({}, form({ email, password })))) !== undefined;
  };

  /** Follows the reset link the way the person would: from the server's log (local) or the email (Supabase). */
  async function openResetLink(email: string, logged: string[]): Promise<{ token?: string }> {
    if (name === "local") {
      // Any browser will do: the token is in the link.
      testCookies.clear();
      const line = logged.find((entry) => entry.includes(email));
      const link = new URL(/(http\S+)/.exec(line ?? "")![1]);
      expect(link.pathname).toBe("/reset-password");
      return { token: link.searchParams.get("token")! };
    }
    const api = (app as SupabaseApp).api;
    const mail = api.mail.filter((entry) => entry.to === email && entry.type === "recovery").at(-1)!;
    expect(mail.redirectTo).toBe("http://localhost:3000/auth/callback?next=%2Freset-password");
    // The same browser that asked: the PKCE verifier is in its cookies.
    const landed = await callback.GET(new Request(`http://localhost:3000/auth/callback?code=${mail.authCode}&next=%2Freset-password`));
    expect(landed.headers.get("location")).toBe("http://localhost:3000/reset-password");
    return {};
  }

  it("resets a forgotten password from the link, ending the old sessions", async () => {
    const email = `forgot-${name}@example.com`;
    const session = await app.signUp(email, OLD);
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    app.actAs(null);
    // (Asked for last, the real one: each request replaces this browser's PKCE verifier.)
    const unknown = await requestPasswordReset({}, form({ email: `nobody-${name}@example.com` }));
    const answer = await requestPasswordReset({}, form({ email }));
    expect(answer.notice).toMatch(/^If an account uses this email/);
    expect(unknown.notice).toBe(answer.notice);
    const logged = info.mock.calls.map((call) => call.join(" "));
    if (name === "local") expect(logged.filter((line) => line.includes("nobody-"))).toEqual([]);

    const { token } = await openResetLink(email, logged);
    const tooLong = await resetPassword({}, form({ password: "ü".repeat(40), ...(token ? { token } : {}) }));
    expect(tooLong.fields?.password?.[0]).toMatch(/^Use at most 72 bytes/);
    expect(await redirectOf(resetPassword({}, form({ password: NEW, ...(token ? { token } : {}) })))).toBe("/dashboard/account?notice=password-reset");
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email });

    app.actAs(session);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
    expect(await signsIn(email, OLD)).toBe(false);
    expect(await signsIn(email, NEW)).toBe(true);
    if (token) expect((await resetPassword({}, form({ password: "yet another one", token }))).error).toMatch(/expired or was already used/);
  });

  it("changes the password after checking the current one; other browsers are signed out, this one is not", async () => {
    const email = `change-${name}@example.com`;
    const other = await app.signUp(email, OLD);
    testCookies.clear();
    expect(await signsIn(email, OLD)).toBe(true);
    const here = testCookies.snapshot();

    expect((await changePassword({}, form({ currentPassword: "not it", password: NEW }))).fields?.currentPassword).toEqual([
      "Your current password is not right.",
    ]);
    expect((await changePassword({}, form({ currentPassword: OLD, password: "short" }))).fields?.password?.[0]).toMatch(/at least 8/);
    const changed = await changePassword({}, form({ currentPassword: OLD, password: NEW }));
    expect(changed.notice).toMatch(/^Your password is changed/);
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email });

    app.actAs(other);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
    expect(await signsIn(email, OLD)).toBe(false);
    expect(await signsIn(email, NEW)).toBe(true);
    expect(here.size).toBeGreaterThan(0);
  });

  it("deletes the account with every row and file of the person, once the email is typed; the old session is refused", async () => {
    const email = `leaving-${name}@example.com`;
    const session = await app.signUp(email, OLD);
    const neighbour = await app.signUp(`staying-${name}@example.com`, OLD);
    const made: string[] = [];
    for (const who of [session, neighbour]) {
      app.actAs(who);
      const response = await POST(jsonRequest("/api/replicate", { input: { prompt: "a lighthouse at dusk" } }), params({}));
      const { id } = await response.json();
      const saved = await saveGeneratedImage(id);
      expect(saved.ok).toBe(true);
      made.push(id);
    }
    app.actAs(session);
    // The image, and in cloud mode its thumbnails beside it: all of them go.
    expect(await app.storedFiles(session.user.id)).toEqual(objectsOfImages(app, `${session.user.id}/${made[0]}.png`));

    expect((await deleteAccount({}, form({ confirmEmail: "someone-else@example.com" }))).fields?.confirmEmail).toBeDefined();
    expect(await countImages(app, session.user.id)).toBe(1);

    expect(await redirectOf(deleteAccount({}, form({ confirmEmail: email.toUpperCase() })))).toBe("/login?notice=account-deleted");
    expect(await app.storedFiles(session.user.id)).toEqual([]);
    expect(await countImages(app, session.user.id)).toBe(0);
    expect(await countPredictions(app, session.user.id)).toBe(0);
    if (name === "local") {
      const dataDir = (app as TestApp & { dataDir: string }).dataDir;
      await expect(access(path.join(dataDir, "local-model", "predictions", `${made[0]}.json`))).rejects.toThrow();
      await expect(access(path.join(dataDir, "local-model", "predictions", `${made[1]}.json`))).resolves.toBeUndefined();
    } else {
      expect((app as SupabaseApp).api.users.has(session.user.id)).toBe(false);
    }

    app.actAs(session);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
    expect(await signsIn(email, OLD)).toBe(false);
    // The neighbour keeps everything.
    expect(await countImages(app, neighbour.user.id)).toBe(1);
    expect(await app.storedFiles(neighbour.user.id)).not.toEqual([]);
  });
});
