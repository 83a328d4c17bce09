import { setupServer } from "msw/node";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resetServerEnvForTests } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { REQUEST_PATH_HEADER } from "@/lib/http/request-path";
import { resetAppContextForTests } from "@/lib/server-context";
import type { BackendRuntime } from "@/lib/server-context";
import {
  createSupabaseApi,
  PUBLISHABLE_KEY,
  SESSION_COOKIE,
  SUPABASE_URL,
  type SupabaseApi,
} from "@/tests/msw/supabase-handlers";
import { testCookies } from "@/tests/support/cookie-jar";
import { form, redirectOf } from "@/tests/support/server-actions";

vi.mock("next/headers", () => ({
  cookies: async () => testCookies,
  headers: async () => new Headers({ origin: "http://localhost:3000", host: "localhost:3000" }),
}));
// Pages that render per request call connection(); outside Next there is no request scope to wait for.
vi.mock("next/server", async (importOriginal) => ({ ...(await importOriginal<typeof import("next/server")>()), connection: async () => undefined }));
const { createSupabaseBackend } = await import("@/lib/supabase/supabase-backend");
const { EmailConfirmationRequired } = await import("@/lib/auth/auth-service");
const { sendMagicLink } = await import("@/app/(auth)/magic-link-actions");
const callback = await import("@/app/auth/callback/route");
const { confirmLink } = await import("@/app/auth/confirm/actions");
const { default: ConfirmPage } = await import("@/app/auth/confirm/page");
const { proxy } = await import("@/proxy");

const config = { kind: "supabase", url: SUPABASE_URL, publishableKey: PUBLISHABLE_KEY } as const;
const password = "correct horse battery";
const server = setupServer();
const savedEnv = { ...process.env };
let api: SupabaseApi;
let runtime: BackendRuntime;

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(async () => {
  server.close();
  await api?.close();
});
beforeEach(() => testCookies.clear());
afterEach(() => {
  process.env = { ...savedEnv };
  resetServerEnvForTests();
  // A new app context per case: its throttle must not carry attempts from the last.
  resetAppContextForTests();
  vi.restoreAllMocks();
});

async function project(options: Parameters<typeof createSupabaseApi>[0] = {}) {
  // The last case's project gives its database back to the pool first.
  await api?.close();
  api = await createSupabaseApi(options);
  server.resetHandlers(...api.handlers);
  runtime = await createSupabaseBackend(config);
  Object.assign(process.env, { NEXT_PUBLIC_SUPABASE_URL: SUPABASE_URL, NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY });
  resetServerEnvForTests();
}

function localMode() {
  for (const name of ["NEXT_PUBLIC_SUPABASE_URL", "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY", "NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY"]) {
    delete process.env[name];
  }
  resetServerEnvForTests();
}

async function appError(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(() => null, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const get = (path: string) => new Request(new URL(path, "http://localhost:3000"));
const visit = (path: string) =>
  new NextRequest(new URL(path, "http://localhost:3000"), {
    headers: { cookie: testCookies.getAll().map(({ name, value }) => `${name}=${value}`).join("; ") },
  });

describe("Supabase Auth behind the AuthService port", () => {
  it("signs up, keeps the session in HttpOnly cookies and reads the person back through getClaims", async () => {
    await project();
    const set = vi.spyOn(testCookies, "set");
    const user = await runtime.auth.signUp({ email: "new@example.com", password }, testCookies);
    expect(user).toEqual({ id: expect.any(String), email: "new@example.com" });
    const [signup] = api.requestsTo("auth.signup");
    expect(signup.headers).toMatchObject({ apikey: PUBLISHABLE_KEY, authorization: `Bearer ${PUBLISHABLE_KEY}` });
    expect(signup.body).toMatchObject({ email: "new@example.com", password, code_challenge_method: "s256" });
    expect(set).toHaveBeenCalledWith(SESSION_COOKIE, expect.stringMatching(/^base64-/), expect.objectContaining({ httpOnly: true, sameSite: "lax", path: "/" }));

    expect(await runtime.auth.getUser(testCookies)).toEqual(user);
    // Symmetric (HS256) tokens are verified by asking Auth; getSession alone would trust the cookie.
    const [check] = api.requestsTo("auth.user");
    expect(check.headers.authorization).toMatch(/^Bearer eyJ/);
  });

  it("verifies asymmetric tokens against the project's JWKS, without a round trip per request", async () => {
    await project({ signing: "ES256" });
    api.addUser({ email: "a@example.com", password });
    const user = await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    expect(await runtime.auth.getUser(testCookies)).toEqual(user);
    expect(await runtime.auth.getUser(testCookies)).toEqual(user);
    expect(api.requestsTo("auth.jwks")).toHaveLength(1);
    expect(api.requestsTo("auth.user")).toHaveLength(0);
  });

  it("treats no cookie, or a forged one, as signed out", async () => {
    await project();
    expect(await runtime.auth.getUser(testCookies)).toBeNull();
    expect(api.requests).toHaveLength(0);
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    const session = JSON.parse(Buffer.from(testCookies.get(SESSION_COOKIE)!.value.slice(7), "base64url").toString());
    const [header, , signature] = session.access_token.split(".");
    const claims = Buffer.from(JSON.stringify({ sub: "00000000-0000-4000-8000-000000000000", role: "authenticated", exp: 4e9 })).toString("base64url");
    session.access_token = `${header}.${claims}.${signature}`;
    testCookies.set(SESSION_COOKIE, `base64-${Buffer.from(JSON.stringify(session)).toString("base64url")}`);
    expect(await runtime.auth.getUser(testCookies)).toBeNull();
  });

  it.each([
    ["a wrong password", "a@example.com", "wrong password", "Wrong email or password."],
    ["an unknown email", "nobody@example.com", password, "Wrong email or password."],
  ])("answers %s without saying which part was wrong", async (_case, email, attempt, message) => {
    await project();
    api.addUser({ email: "a@example.com", password });
    const error = await appError(runtime.auth.signIn({ email, password: attempt }, testCookies));
    expect({ code: error.code, message: error.message }).toEqual({ code: "unauthorized", message });
    expect(testCookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("explains an unconfirmed email and a taken one in words", async () => {
    await project();
    api.addUser({ email: "pending@example.com", password, confirmed: false });
    expect((await appError(runtime.auth.signIn({ email: "pending@example.com", password }, testCookies))).message).toMatch(/Confirm your email/);
    const taken = await appError(runtime.auth.signUp({ email: "pending@example.com", password }, testCookies));
    expect({ code: taken.code, message: taken.message }).toEqual({ code: "conflict", message: "An account with this email already exists. Sign in instead." });
  });

  it("does not pretend someone is signed in when the project confirms emails first", async () => {
    await project({ confirmEmails: true });
    const error = await appError(runtime.auth.signUp({ email: "new@example.com", password }, testCookies));
    expect(error).toBeInstanceOf(EmailConfirmationRequired);
    expect(error.message).toMatch(/Check your email/);
    expect(testCookies.has(SESSION_COOKIE)).toBe(false);
    expect(await runtime.auth.getUser(testCookies)).toBeNull();
    // The same answer for an address that already has an account: nothing to enumerate.
    api.addUser({ email: "old@example.com", password });
    expect(await appError(runtime.auth.signUp({ email: "old@example.com", password }, testCookies))).toBeInstanceOf(EmailConfirmationRequired);
  });

  it("signs out this browser's session at Auth and clears its cookies", async () => {
    await project();
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    await runtime.auth.signOut(testCookies);
    const [logout] = api.requestsTo("auth.logout");
    expect(logout).toMatchObject({ method: "POST", query: { scope: "local" } });
    expect(logout.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(testCookies.has(SESSION_COOKIE)).toBe(false);
    expect(await runtime.auth.getUser(testCookies)).toBeNull();
  });

  it("still signs the browser out when Auth is unreachable, and says so when reading a session fails", async () => {
    await project();
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    api.failNext("auth.user", { status: 503, body: { message: "upstream unavailable" } });
    expect((await appError(runtime.auth.getUser(testCookies))).code).toBe("upstream_unavailable");
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    api.failNext("auth.logout", "network");
    await runtime.auth.signOut(testCookies);
    expect(testCookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe("magic links and email links", () => {
  it("emails a link back to /auth/callback with the checked next path, then signs in from it once", async () => {
    await project();
    const state = await sendMagicLink({}, form({ email: " New@Example.com", next: "/dashboard?tab=1" }));
    expect(state).toEqual({ email: "New@Example.com", sent: true });
    const [otp] = api.requestsTo("auth.otp");
    expect(otp.body).toMatchObject({ email: "New@Example.com", create_user: true, code_challenge_method: "s256" });
    expect(otp.query.redirect_to).toBe("http://localhost:3000/auth/callback?next=%2Fdashboard%3Ftab%3D1");
    expect(testCookies.has(`${SESSION_COOKIE}-code-verifier`)).toBe(true);

    const code = api.mail[0].authCode;
    const response = await callback.GET(get(`/auth/callback?code=${code}&next=%2Fdashboard%3Ftab%3D1`));
    expect(response.headers.get("location")).toBe("http://localhost:3000/dashboard?tab=1");
    expect(api.requestsTo("auth.token")[0]).toMatchObject({ query: { grant_type: "pkce" }, body: { auth_code: code } });
    expect(await runtime.auth.getUser(testCookies)).toMatchObject({ email: "new@example.com" });

    const reused = await callback.GET(get(`/auth/callback?code=${code}&next=https://evil.example`));
    expect(reused.headers.get("location")).toBe("http://localhost:3000/login?error=link-invalid&next=%2Fdashboard%2Fgenerate");
  });

  it.each(["/.//evil.example", "/%2e//evil.example", "/x/..//evil.example", "/\t/evil.example", "/%2F%2Fevil.example"])(
    "lands a signed-in link on this app whatever next says: %s",
    async (next) => {
      await project();
      await sendMagicLink({}, form({ email: "someone@example.com" }));
      const code = api.mail[0].authCode;
      const response = await callback.GET(get(`/auth/callback?code=${code}&next=${encodeURIComponent(next)}`));
      expect(response.headers.get("location")).toBe("http://localhost:3000/dashboard/generate");
    },
  );

  it("sends a stale link back to sign-in with a known error code, never Supabase's text", async () => {
    await project();
    const response = await callback.GET(get("/auth/callback?error=access_denied&error_code=otp_expired&error_description=Email+link+is+invalid"));
    expect(response.headers.get("location")).toBe("http://localhost:3000/login?error=link-expired&next=%2Fdashboard%2Fgenerate");
    expect(api.requests).toHaveLength(0);
  });

  it("confirms a sign-up from a token_hash link on any device, only when the button is pressed", async () => {
    await project({ confirmEmails: true });
    await appError(runtime.auth.signUp({ email: "new@example.com", password }, testCookies));
    testCookies.clear();
    const tokenHash = api.mail[0].tokenHash;
    // A mail scanner opening the link spends nothing.
    await ConfirmPage({ searchParams: Promise.resolve({ token_hash: tokenHash, type: "email", next: "/dashboard" }) });
    await ConfirmPage({ searchParams: Promise.resolve({ token_hash: tokenHash, type: "email", next: "/dashboard" }) });
    expect(api.requestsTo("auth.verify")).toHaveLength(0);

    const press = (fields: Record<string, string>) => redirectOf(confirmLink(form(fields)));
    expect(await press({ token_hash: tokenHash, type: "email", next: "/dashboard" })).toBe("/dashboard");
    expect(api.requestsTo("auth.verify")[0].body).toMatchObject({ type: "email", token_hash: tokenHash });
    expect(await runtime.auth.getUser(testCookies)).toMatchObject({ email: "new@example.com" });
    testCookies.clear();
    expect(await press({ token_hash: tokenHash, type: "email", next: "/dashboard" })).toBe("/login?error=link-expired&next=%2Fdashboard");
    expect(await press({ token_hash: "x", type: "bogus", next: "https://evil.example" })).toBe("/login?error=link-invalid&next=%2Fdashboard%2Fgenerate");
  });

  it("says plainly that magic links need Supabase in local mode", async () => {
    localMode();
    const state = await sendMagicLink({}, form({ email: "a@example.com" }));
    expect(state.error).toMatch(/Magic links need the Supabase backend/);
    expect((await callback.GET(get("/auth/callback?code=x"))).status).toBe(404);
  });
});

describe("the proxy", () => {
  it("in local mode only checks the session cookie on /dashboard", async () => {
    localMode();
    expect((await proxy(visit("/login"))).headers.get("location")).toBeNull();
    expect((await proxy(visit("/dashboard/generate?x=1"))).headers.get("location")).toBe("http://localhost:3000/login?next=%2Fdashboard%2Fgenerate%3Fx%3D1");
    testCookies.set("sdxl-session", "token");
    expect((await proxy(visit("/dashboard"))).headers.get("location")).toBeNull();
  });

  it("in Supabase mode sends signed-out visits to sign-in and lets signed-in ones through", async () => {
    await project();
    expect((await proxy(visit("/dashboard/generate"))).headers.get("location")).toBe("http://localhost:3000/login?next=%2Fdashboard%2Fgenerate");
    expect((await proxy(visit("/"))).headers.get("location")).toBeNull();
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    const response = await proxy(visit("/dashboard?page=2"));
    expect(response.headers.get("location")).toBeNull();
    expect(api.requestsTo("auth.user")).toHaveLength(1);
    // Forwarded to the page's server components, for the layout's way back to sign-in.
    expect(response.headers.get(`x-middleware-request-${REQUEST_PATH_HEADER}`)).toBe("/dashboard?page=2");
  });

  it("refreshes an expiring session and writes it to the response (HttpOnly, Secure behind https, not cacheable)", async () => {
    await project({ accessTokenTtl: 30 });
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    const before = testCookies.get(SESSION_COOKIE)!.value;
    process.env.APP_URL = "https://studio.example.com";
    const response = await proxy(visit("/dashboard"));
    expect(response.headers.get("location")).toBeNull();
    expect(api.requestsTo("auth.token").at(-1)?.query).toEqual({ grant_type: "refresh_token" });
    const refreshed = response.cookies.get(SESSION_COOKIE);
    expect(refreshed?.value).not.toBe(before);
    expect(refreshed).toMatchObject({ httpOnly: true, secure: true, path: "/", sameSite: "lax" });
    expect(response.headers.get("cache-control")).toContain("no-store");
  });

  it("signs out a browser whose session was revoked, clearing its cookies on the redirect", async () => {
    await project({ accessTokenTtl: 30 });
    api.addUser({ email: "a@example.com", password });
    await runtime.auth.signIn({ email: "a@example.com", password }, testCookies);
    const stolen = testCookies.snapshot();
    await runtime.auth.signOut(testCookies);
    testCookies.restore(stolen);
    const response = await proxy(visit("/dashboard"));
    expect(response.headers.get("location")).toBe("http://localhost:3000/login?next=%2Fdashboard");
    expect(response.cookies.get(SESSION_COOKIE)?.value).toBe("");
  });
});
