import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { closeDatabase, getDatabase } from "@/lib/local/database";
import { createLocalAuth } from "@/lib/local/local-auth";
import { loadSigningKey, SESSION_TTL_SECONDS } from "@/lib/local/session-token";
import { changePassword } from "@/lib/local/users";
import { testCookies } from "@/tests/support/cookie-jar";
import { params, startLocalApp, type LocalApp } from "@/tests/support/local-app";

/**
 * Signing out must end the session on the server, not only clear this
 * browser's cookie: a copied cookie (a shared computer, a leaked log, malware)
 * must stop working at once, not keep working for the token's 7 days.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => new Headers() }));

const { signOut } = await import("@/app/(auth)/actions");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp();
});
afterAll(() => app.stop());
beforeEach(() => testCookies.clear());

async function signOutAction() {
  try {
    await signOut();
  } catch (error) {
    if (!String((error as { digest?: string }).digest).startsWith("NEXT_REDIRECT")) throw error;
  }
}

/** Another server process on the same database, with a clock the test moves. */
async function secondInstance(clock: { now: number }) {
  return createLocalAuth({
    db: await getDatabase(app.dataDir),
    signingKey: await loadSigningKey(app.dataDir),
    secureCookies: false,
    now: () => clock.now,
  });
}

describe("local sessions end on the server", () => {
  it("refuses the signed-out token everywhere it is replayed", async () => {
    const session = await app.signUp("leaving@example.com");
    app.actAs(session);
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email: "leaving@example.com" });

    await signOutAction();
    expect(testCookies.has("sdxl-session")).toBe(false);

    // Someone kept a copy of the cookie.
    app.actAs(session);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
    const response = await poll(new Request("http://localhost:3000/api/replicate/abc"), params({ id: "abc" }));
    expect(response.status).toBe(401);
  });

  it("ends only the session signed out: the same person's other browsers stay signed in", async () => {
    const laptop = await app.signUp("two-browsers@example.com", "the password");
    testCookies.clear();
    await app.context.auth.signIn({ email: "two-browsers@example.com", password: "the password" }, testCookies);
    const phone = testCookies.snapshot();

    app.actAs(laptop);
    await signOutAction();
    app.actAs(laptop);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
    app.actAs({ cookies: phone });
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email: "two-browsers@example.com" });
  });

  it("is refused by another server on the same database within 5 seconds", async () => {
    const clock = { now: Date.now() };
    const other = await secondInstance(clock);
    const session = await app.signUp("elsewhere@example.com");
    app.actAs(session);
    expect(await other.getUser(testCookies)).toMatchObject({ email: "elsewhere@example.com" });

    await signOutAction();
    app.actAs(session);
    clock.now += 5_001;
    expect(await other.getUser(testCookies)).toBeNull();
  });

  it("ends every session of a person whose password changes", async () => {
    const first = await app.signUp("changer@example.com", "old password");
    testCookies.clear();
    await app.context.auth.signIn({ email: "changer@example.com", password: "old password" }, testCookies);
    const second = testCookies.snapshot();

    await changePassword(await getDatabase(app.dataDir), { userId: first.user.id, password: "new password" });
    for (const cookies of [first.cookies, second]) {
      const other = await secondInstance({ now: Date.now() });
      app.actAs({ cookies });
      expect(await other.getUser(testCookies)).toBeNull();
    }
    testCookies.clear();
    await expect(app.context.auth.signIn({ email: "changer@example.com", password: "old password" }, testCookies)).rejects.toMatchObject({ code: "unauthorized" });
    await app.context.auth.signIn({ email: "changer@example.com", password: "new password" }, testCookies);
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email: "changer@example.com" });
  });

  it("refuses a token once it has expired, though it was accepted (and remembered as verified) before", async () => {
    const session = await app.signUp("expiring@example.com");
    app.actAs(session);
    expect(await app.context.auth.getUser(testCookies)).toMatchObject({ email: "expiring@example.com" });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + (SESSION_TTL_SECONDS + 1) * 1000 });
    try {
      expect(await app.context.auth.getUser(testCookies)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a token from before sessions had ids, which could not be revoked", async () => {
    const { user } = await app.signUp("old-token@example.com");
    const legacy = await new SignJWT({ email: user.email, role: "authenticated" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(user.id)
      .setIssuer("sdxl-studio-local")
      .setAudience("authenticated")
      .setIssuedAt()
      .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
      .sign(await loadSigningKey(app.dataDir));
    testCookies.set("sdxl-session", legacy);
    expect(await app.context.auth.getUser(testCookies)).toBeNull();
  });
});

describe("data folders from older versions", () => {
  it("gain the local_auth tables on start, and starting twice changes nothing", async () => {
    const db = await getDatabase(app.dataDir);
    await db.exec("drop schema local_auth cascade");
    await app.context.close?.();
    await closeDatabase(app.dataDir);

    for (let start = 0; start < 2; start++) {
      const reopened = await getDatabase(app.dataDir);
      const { rows } = await reopened.query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'local_auth' order by 1",
      );
      expect(rows.map((row) => row.name)).toEqual(["known_addresses", "password_resets", "revoked_sessions", "session_generations", "sign_in_attempts"]);
      await closeDatabase(app.dataDir);
    }
  });
});
