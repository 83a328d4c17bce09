import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { getDatabase } from "@/lib/local/database";
import { createLocalBackend } from "@/lib/local/local-backend";
import { createSignInThrottle, SIGN_IN_LIMITS } from "@/lib/local/sign-in-throttle";
import { createLocalModel } from "@/lib/models/local-model";
import { createModelCatalog, LOCAL_MODEL_KEY } from "@/lib/models/model-catalog";
import { createPrediction } from "@/lib/predictions/create-prediction";
import { stampPeerAddress } from "@/lib/http/peer-address";
import { testCookies } from "@/tests/support/cookie-jar";
import { startLocalApp, type LocalApp } from "@/tests/support/local-app";

/**
 * Limits that must hold however many server processes there are, because
 * they live in the database: generation limits per person (creates per
 * minute, predictions running at once) and, in local mode, sign-in attempts
 * per email and per client address.
 */

const testHeaders = new Headers();
vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => testHeaders }));

const { signIn, signUp } = await import("@/app/(auth)/actions");

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ LOCAL_MODEL_DURATION_MS: "60000" });
});
afterAll(() => app.stop());
/** Requests as if from this client: its socket address, as lib/http/peer-address.ts stamps it. */
function fromAddress(address: string) {
  const raw: Record<string, string | string[] | undefined> = {};
  stampPeerAddress(raw, address);
  testHeaders.set("x-sdxl-peer-address", String(raw["x-sdxl-peer-address"]));
}

beforeEach(() => {
  testCookies.clear();
  for (const name of [...testHeaders.keys()]) testHeaders.delete(name);
  fromAddress("198.51.100.1");
});

function form(email: string, password: string) {
  const data = new FormData();
  data.set("email", email);
  data.set("password", password);
  return data;
}

async function attempt(email: string, password: string, address?: string) {
  if (address) fromAddress(address);
  try {
    return await signIn({}, form(email, password));
  } catch (error) {
    const digest = (error as { digest?: string }).digest ?? "";
    if (digest.startsWith("NEXT_REDIRECT")) return { redirected: true as const };
    throw error;
  }
}

describe("generation limits across server instances", () => {
  /** A second server process: its own backend objects, model and catalog, the same database and data folder. */
  async function instance() {
    const env = app.context.env;
    if (env.backend.kind !== "local") throw new Error("local mode expected");
    const runtime = await createLocalBackend(env.backend, { secureCookies: false });
    const engine = createLocalModel({ dataDir: env.backend.dataDir, durationMs: 60_000 });
    const catalog = createModelCatalog({ engine, entries: [{ key: LOCAL_MODEL_KEY, ref: "local" }], store: runtime.schemaStore() });
    return { runtime, engine, model: await catalog.resolve() };
  }

  it("counts predictions running on every instance, and creates per minute, against the same person", async () => {
    const { user } = await app.signUp("two-tabs@example.com");
    const [a, b] = [await instance(), await instance()];
    const limits = { createsPerMinute: 3, concurrent: 2 };
    const input = { prompt: "one of many" };
    const start = (on: typeof a) =>
      createPrediction({ user, backend: on.runtime.backendFor(user), engine: on.engine, model: on.model, input, limits });

    const first = await start(a);
    await start(b);
    const refused = await start(a).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: "rate_limited", status: 429, retryAfter: 5 });

    // One finishes (canceled at the model, seen by the other instance): a slot frees up...
    await b.engine.cancel(first.id);
    const third = await start(b);
    await a.engine.cancel(third.id);
    // ...but the minute's three creates are used up, on whichever instance asks.
    await expect(start(a)).rejects.toMatchObject({ code: "rate_limited", retryAfter: 60 });
    await expect(start(b)).rejects.toMatchObject({ code: "rate_limited", retryAfter: 60 });
  });
});

describe("no lock-out button for strangers (local mode)", () => {
  it("lets the owner in from an address they signed in from before, however many wrong passwords strangers sent", async () => {
    await app.signUp("owner@example.com", "the right password");
    testCookies.clear();
    expect(await attempt("owner@example.com", "the right password", "192.0.2.10")).toEqual({ redirected: true });
    testCookies.clear();

    // Strangers, each from an address of their own, try ten wrong passwords.
    for (let i = 0; i < 10; i++) await attempt("owner@example.com", `guess ${i}`, `198.51.100.${100 + i}`);
    expect(await attempt("owner@example.com", "one more guess", "198.51.100.200")).toMatchObject({
      error: expect.stringMatching(/^Too many sign-in attempts/),
    });

    expect(await attempt("owner@example.com", "the right password", "192.0.2.10")).toEqual({ redirected: true });
  });

  it("slows guesses at one email with growing, capped delays instead of a 15-minute lock", async () => {
    let now = Date.parse("2026-11-24T12:00:00Z");
    const throttle = createSignInThrottle({ db: await getDatabase(app.dataDir), now: () => now });
    const guess = (i: number) => throttle.begin({ email: "slowed@example.com", address: `198.51.100.${i % 250}` });
    let i = 0;
    for (; i < SIGN_IN_LIMITS.freePerEmail; i++) await guess(i);

    const waits: number[] = [];
    for (let round = 0; round < 8; round++) {
      const refused = (await guess(i++).catch((error: unknown) => error)) as AppError;
      expect(refused).toMatchObject({ code: "rate_limited" });
      waits.push(refused.retryAfter!);
      now += refused.retryAfter! * 1000;
      await guess(i++);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
    expect(Math.max(...waits)).toBeLessThan(15 * 60);
  });
});

describe("sign-up throttling (local mode)", () => {
  it(`refuses sign-ups from one address past ${10} an hour, and only from that address`, async () => {
    const results = [];
    for (let i = 0; i < 11; i++) {
      testCookies.clear();
      results.push(await signUpFrom(`many-${i}@example.com`, "203.0.113.120"));
    }
    expect(results.slice(0, 10).every((result) => "redirected" in result)).toBe(true);
    expect(results[10]).toMatchObject({ error: expect.stringMatching(/^Too many sign-up attempts\. Try again in \d+ minutes?\.$/) });
    testCookies.clear();
    expect(await signUpFrom("elsewhere-signup@example.com", "203.0.113.121")).toEqual({ redirected: true });
  });

  it("counts probes of taken emails against the same budget", async () => {
    await app.signUp("taken@example.com");
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await signUpFrom("taken@example.com", "203.0.113.130"));
    expect(results[10]).toMatchObject({ error: expect.stringMatching(/^Too many sign-up attempts/) });
  });
});

describe("sign-in throttling (local mode)", () => {
  it(`slows an email down after ${SIGN_IN_LIMITS.freePerEmail} wrong passwords from a new address, even with the right one, and says when to come back`, async () => {
    await app.signUp("target@example.com", "the right password");
    testCookies.clear();
    for (let i = 0; i < SIGN_IN_LIMITS.freePerEmail; i++) {
      expect(await attempt("target@example.com", `guess ${i}`)).toMatchObject({ error: "Wrong email or password." });
    }
    expect(await attempt("TARGET@example.com", "the right password")).toEqual({
      email: "TARGET@example.com",
      error: "Too many sign-in attempts. Try again in 2 seconds.",
    });
    expect(testCookies.has("sdxl-session")).toBe(false);

    // The delay is the email's, not the address's: someone else signs in fine from the same place.
    await app.signUp("neighbour@example.com", "neighbour password");
    testCookies.clear();
    expect(await attempt("neighbour@example.com", "neighbour password")).toEqual({ redirected: true });
  });

  it("clears an email's failures when the right password comes in time", async () => {
    await app.signUp("forgetful@example.com", "the right password");
    testCookies.clear();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < SIGN_IN_LIMITS.freePerEmail - 1; i++) await attempt("forgetful@example.com", "almost");
      expect(await attempt("forgetful@example.com", "the right password")).toEqual({ redirected: true });
    }
  });

  it(`refuses an address after ${SIGN_IN_LIMITS.perAddress} failures across many emails; other addresses still get in`, async () => {
    const address = "203.0.113.50";
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) {
      expect(await attempt(`sprayed-${i}@example.com`, "password1", address)).toMatchObject({ error: "Wrong email or password." });
    }
    expect(await attempt("sprayed-new@example.com", "password1", address)).toMatchObject({
      error: expect.stringMatching(/^Too many sign-in attempts/),
    });
    // With no proxy configured, forwarded headers are not believed: sending one does not dodge the limit.
    testHeaders.set("x-forwarded-for", "10.9.8.7");
    expect(await attempt("sprayed-new@example.com", "password1")).toMatchObject({
      error: expect.stringMatching(/^Too many sign-in attempts/),
    });
    testHeaders.delete("x-forwarded-for");

    await app.signUp("elsewhere@example.com", "elsewhere password");
    testCookies.clear();
    expect(await attempt("elsewhere@example.com", "elsewhere password", "192.0.2.77")).toEqual({ redirected: true });
  });

  it("limits a client by its socket's address, however it fills in X-Forwarded-For", async () => {
    fromAddress("203.0.113.77");
    const results = [];
    for (let i = 0; i <= SIGN_IN_LIMITS.perAddress; i++) {
      // A new made-up address on every try, as a guesser dodging the per-address limit would send.
      testHeaders.set("x-forwarded-for", `198.51.100.${i + 1}`);
      testHeaders.set("x-real-ip", `198.51.100.${i + 1}`);
      results.push(await signIn({}, form(`spoofer-${i}@example.com`, "password1")));
    }
    expect(results.at(-1)).toMatchObject({ error: expect.stringMatching(/^Too many sign-in attempts/) });
  });

  it("counts a burst of parallel guesses as they arrive, not after the slow hash", async () => {
    await app.signUp("burst@example.com", "the right password");
    testCookies.clear();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt("burst@example.com", `parallel ${i}`, `192.0.2.${i + 1}`)));
    const wrong = results.filter((result) => "error" in result && result.error === "Wrong email or password.");
    expect(wrong).toHaveLength(SIGN_IN_LIMITS.freePerEmail);
  });

  it("keeps counting across a restart: the attempts are in the database", async () => {
    const address = "192.0.2.200";
    for (let i = 0; i < SIGN_IN_LIMITS.perAddress; i++) await attempt(`restart-${i}@example.com`, "nope", address);

    const { resetAppContextForTests, getAppContext } = await import("@/lib/server-context");
    const before = app.context;
    await before.close?.();
    resetAppContextForTests();
    await getAppContext();
    expect(await attempt("restart-new@example.com", "nope", address)).toMatchObject({
      error: expect.stringMatching(/^Too many sign-in attempts/),
    });
  });

  it("forgets an email's failures once the window has passed", async () => {
    let now = Date.parse("2026-11-24T12:00:00Z");
    const throttle = createSignInThrottle({ db: await getDatabase(app.dataDir), now: () => now });
    for (let i = 0; i < SIGN_IN_LIMITS.freePerEmail; i++) await throttle.begin({ email: "clock@example.com" });
    await expect(throttle.begin({ email: "clock@example.com" })).rejects.toMatchObject({ code: "rate_limited", retryAfter: 2 });

    now += SIGN_IN_LIMITS.windowMs + 1;
    for (let i = 0; i < SIGN_IN_LIMITS.freePerEmail; i++) await expect(throttle.begin({ email: "clock@example.com" })).resolves.toBeDefined();
  });

  it.each(["sign_in_attempts", "known_addresses", "revoked_sessions", "session_generations"])(
    "keeps local_auth.%s out of reach of the API roles",
    async (table) => {
      const db = await getDatabase(app.dataDir);
      for (const role of ["anon", "authenticated"]) {
        const error = await db
          .transaction(async (tx) => {
            await tx.exec(`set local role ${role}`);
            await tx.query(`select count(*) from local_auth.${table}`);
          })
          .catch((caught: unknown) => caught);
        expect(error).toMatchObject({ code: "42501" });
      }
    },
  );
});

async function signUpFrom(email: string, address: string) {
  fromAddress(address);
  const data = new FormData();
  data.set("email", email);
  data.set("password", "long enough password");
  try {
    return await signUp({}, data);
  } catch (error) {
    const digest = (error as { digest?: string }).digest ?? "";
    if (digest.startsWith("NEXT_REDIRECT")) return { redirected: true as const };
    throw error;
  }
}
