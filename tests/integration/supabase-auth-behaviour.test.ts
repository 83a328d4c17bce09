import { setupServer } from "msw/node";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resetServerEnvForTests } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { resetAppContextForTests, type BackendRuntime } from "@/lib/server-context";
import {
  AUTH_ERRORS,
  authErrorFailure,
  createSupabaseApi,
  PUBLISHABLE_KEY,
  SERVICE_ROLE_KEY,
  SESSION_COOKIE,
  SUPABASE_URL,
  type AuthErrorCode,
  type ProjectOptions,
  type SupabaseApi,
} from "@/tests/msw/supabase-handlers";
import { testCookies } from "@/tests/support/cookie-jar";

let clientIp = "203.0.113.7";
vi.mock("next/headers", () => ({
  cookies: async () => testCookies,
  headers: async () => new Headers({ origin: "http://localhost:3000", host: "localhost:3000", "x-real-ip": clientIp }),
}));
const { createSupabaseBackend } = await import("@/lib/supabase/supabase-backend");
const { resetRefreshCooldownForTests } = await import("@/lib/supabase/refresh-guard");
const { signUp } = await import("@/app/(auth)/actions");
const { proxy } = await import("@/proxy");

const password = "correct horse battery";
const server = setupServer();
const savedEnv = { ...process.env };
let api: SupabaseApi;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(async () => {
  server.close();
  await api?.close();
});
beforeEach(() => {
  testCookies.clear();
  resetRefreshCooldownForTests();
});
afterEach(() => {
  process.env = { ...savedEnv };
  resetServerEnvForTests();
  resetAppContextForTests();
  vi.restoreAllMocks();
});

/** The emulated project, and the app's env pointing at it (the service key included: the throttle's attempts live there). */
async function project(options: ProjectOptions = {}) {
  // The last case's project gives its database back to the pool first.
  await api?.close();
  api = await createSupabaseApi(options);
  server.resetHandlers(...api.handlers);
  Object.assign(process.env, {
    NEXT_PUBLIC_SUPABASE_URL: SUPABASE_URL,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
    TRUSTED_PROXIES: "vercel",
  });
  resetServerEnvForTests();
  resetAppContextForTests();
}

/** A second server instance on the same project: its own process state, the same database. */
async function instance(): Promise<BackendRuntime> {
  return createSupabaseBackend({ kind: "supabase", url: SUPABASE_URL, publishableKey: PUBLISHABLE_KEY, serviceRoleKey: SERVICE_ROLE_KEY });
}

const form = (fields: Record<string, string>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};

async function appError(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("every Auth error a person can meet, in words", () => {
  const expected: Record<AuthErrorCode, RegExp> = {
    over_request_rate_limit: /^Sign-in is busy right now\. Wait a minute/,
    over_email_send_rate_limit: /^Too many emails have been sent from this site/,
    email_address_not_authorized: /^We can't send email to this address yet/,
    validation_failed: /^Use at most 72 bytes/,
    weak_password: /^Choose a stronger password\. Password should be at least 6 characters\./,
    otp_disabled: /^Sign-in links only work for existing accounts/,
    captcha_failed: /captcha/,
    user_banned: /^This account has been suspended/,
    signup_disabled: /^New accounts cannot be created here/,
    email_provider_disabled: /^Signing in with email is switched off/,
    same_password: /^Choose a password different from your current one/,
    reauthentication_needed: /sign in again, then change your password/,
    otp_expired: /^That link has expired/,
    invalid_credentials: /^Wrong email or password\.$/,
    email_not_confirmed: /^Confirm your email first/,
    user_already_exists: /^An account with this email already exists/,
  };

  it.each(Object.keys(AUTH_ERRORS) as AuthErrorCode[])("%s", async (code) => {
    await project();
    const runtime = await instance();
    api.failNext("auth.signup", authErrorFailure(code));
    const error = await appError(runtime.auth.signUp({ email: "someone@example.com", password }, testCookies));
    expect(error.message).toMatch(expected[code]);
    expect(error.message).not.toMatch(/went wrong on our side/);
  });

  it("logs an unknown code with the code, and shows a plain retry message", async () => {
    await project();
    const runtime = await instance();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    api.failNext("auth.token", { status: 400, body: { code: "brand_new_code", message: "Something Auth added later" } });
    const error = await appError(runtime.auth.signIn({ email: "a@example.com", password }, testCookies));
    expect(error.message).toBe("That did not work this time. Please try again in a moment.");
    expect(warn.mock.calls.flat().join(" ")).toContain("code=brand_new_code");
  });
});

describe("a fresh project, as Supabase Auth really behaves", () => {
  it("refuses to email strangers until custom SMTP is set up, and the person reads why", async () => {
    await project({ confirmEmails: true, smtp: "default", teamEmails: ["owner@example.com"] });
    const state = await signUp({}, form({ email: "stranger@example.com", password }));
    expect(state.fields?.email?.[0]).toMatch(/^We can't send email to this address yet/);
    expect(api.requestsTo("auth.signup").at(-1)).toBeDefined();
    // A member of the organisation gets the email, twice an hour at most.
    for (const email of ["owner@example.com", "owner@example.com"]) {
      expect(await signUp({}, form({ email, password })).then((s) => s.notice)).toMatch(/Check your email/);
    }
  });

  it("refuses passwords over 72 bytes in the form, counted in bytes, before Auth is asked", async () => {
    await project();
    const accented = "é".repeat(37); // 37 characters, 74 bytes
    const state = await signUp({}, form({ email: "long@example.com", password: accented }));
    expect(state.fields?.password?.[0]).toMatch(/^Use at most 72 bytes/);
    expect(api.requestsTo("auth.signup")).toHaveLength(0);
    // Auth itself refuses the same (validation_failed), in the same words.
    const runtime = await instance();
    const error = await appError(runtime.auth.signUp({ email: "long@example.com", password: accented }, testCookies));
    expect(error.fields?.password?.[0]).toMatch(/^Use at most 72 bytes/);
  });
});

describe("the app's throttle in front of Supabase Auth", () => {
  it("blocks a burst from one address on every instance, and only that address; Auth never sees the extra attempts", async () => {
    await project({ rateLimits: true });
    api.addUser({ email: "victim@example.com", password });
    const [first, second] = [await instance(), await instance()];
    const attempt = (runtime: BackendRuntime, address: string, email: string) =>
      runtime.auth.signIn({ email, password: "guess" }, testCookies, { clientAddress: address }).then(
        () => "signed in",
        (error: AppError) => error.code,
      );

    const results: string[] = [];
    for (let i = 0; i < 30; i++) results.push(await attempt(i % 2 ? first : second, "192.0.2.66", `probe${i}@example.com`));
    expect(results.slice(0, 20).every((result) => result === "unauthorized")).toBe(true);
    expect(results.slice(20).every((result) => result === "rate_limited")).toBe(true);
    // The 10 refused attempts never reached Auth: its /token budget is spent by the abuser's 20 only.
    expect(api.requestsTo("auth.token")).toHaveLength(20);

    // Someone else, from another address, on either instance, still gets in.
    for (const runtime of [first, second]) {
      testCookies.clear();
      await runtime.auth.signIn({ email: "victim@example.com", password }, testCookies, { clientAddress: "192.0.2.10" });
      expect(await runtime.auth.getUser(testCookies)).toMatchObject({ email: "victim@example.com" });
    }
    // And Auth was told who the client was (Sb-Forwarded-For), for projects that honour it.
    expect(api.requestsTo("auth.token").at(-1)?.headers["sb-forwarded-for"]).toBe("192.0.2.10");
  });

  it("keeps the attempts only where the service role reaches them", async () => {
    await project();
    const runtime = await instance();
    await runtime.auth.signIn({ email: "x@example.com", password: "nope" }, testCookies, { clientAddress: "192.0.2.1" }).catch(() => {});
    expect((await api.rows<{ key: string }>("auth_attempts")).map((entry) => entry.key).sort()).toEqual(["address:192.0.2.1", "email:x@example.com"]);
    const rpc = api.requestsTo("rest.rpc");
    expect(rpc.every((request) => request.headers.authorization === `Bearer ${SERVICE_ROLE_KEY}`)).toBe(true);
  });

  it("limits sign-ups and emails per address through the form too", async () => {
    await project({ confirmEmails: true });
    clientIp = "192.0.2.77";
    const answers: string[] = [];
    for (let i = 0; i < 11; i++) answers.push((await signUp({}, form({ email: `n${i}@example.com`, password }))).error ?? "ok");
    expect(answers.slice(0, 10).every((answer) => answer === "ok")).toBe(true);
    expect(answers[10]).toMatch(/^Too many sign-up attempts/);
    clientIp = "192.0.2.78";
    expect((await signUp({}, form({ email: "other@example.com", password }))).notice).toMatch(/Check your email/);
  });
});

describe("a token refresh answered with 429", () => {
  it("keeps the person signed in: the cookies stay, the page asks to retry, and the next try refreshes", async () => {
    await project({ accessTokenTtl: -60 });
    api.addUser({ email: "a@example.com", password });
    const runtime = await instance();
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    const cookie = testCookies.get(SESSION_COOKIE)!.value;
    const visit = () =>
      proxy(new NextRequest("http://localhost:3000/dashboard", { headers: { cookie: `${SESSION_COOKIE}=${cookie}` } }));

    api.failNext("auth.token", authErrorFailure("over_request_rate_limit"));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const busy = await visit();
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBeTruthy();
    expect(busy.headers.get("location")).toBeNull();
    expect(busy.cookies.get(SESSION_COOKIE)).toBeUndefined();

    // Reading the session in a route or page says "busy", not "signed out", and keeps the cookie.
    const error = await appError(runtime.auth.getUser(testCookies));
    expect(error.code).toBe("upstream_unavailable");
    expect(testCookies.get(SESSION_COOKIE)?.value).toBe(cookie);
    // While the cooldown lasts, Auth is not asked again.
    expect(api.requestsTo("auth.token").filter((request) => request.query.grant_type === "refresh_token")).toHaveLength(1);

    // Once the wait is over, the same refresh token is used and Auth issues a new session.
    resetRefreshCooldownForTests();
    const after = await visit();
    const refreshes = api.requestsTo("auth.token").filter((request) => request.query.grant_type === "refresh_token");
    expect(refreshes).toHaveLength(2);
    expect(after.cookies.get(SESSION_COOKIE)?.value).toMatch(/^base64-/);
    expect(after.cookies.get(SESSION_COOKIE)?.value).not.toBe(cookie);
  });
});
