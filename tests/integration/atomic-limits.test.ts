import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { getDatabase } from "@/lib/local/database";
import { createLocalBackend } from "@/lib/local/local-backend";
import type { ImageModel } from "@/lib/models/image-model";
import { createPrediction } from "@/lib/predictions/create-prediction";
import type { BackendRuntime } from "@/lib/server-context";
import { createSupabaseBackend } from "@/lib/supabase/supabase-backend";
import { backends, countPredictions, type TestApp, type TestSession } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, type LocalApp } from "@/tests/support/local-app";
import type { SupabaseApp } from "@/tests/support/supabase-app";

/**
 * Issue 11, finding 1: twenty simultaneous creates from one person were all
 * accepted with limits of 2 running and 10 a minute, each a paid run. The
 * limits are now taken in the database (reserve_prediction), so they hold for
 * simultaneous requests and across server instances sharing the database.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));

const { POST } = await import("@/app/api/replicate/route");

// A model that takes a minute keeps every prediction running for the whole file.
const ENV = { LOCAL_MODEL_DURATION_MS: "60000", RATE_LIMIT_CONCURRENT: "2", RATE_LIMIT_CREATES_PER_MINUTE: "10" };
const BUSY = "You already have 2 images generating. Wait for one to finish.";

const create = () => POST(jsonRequest("/api/replicate", { input: { prompt: "one of twenty" } }), params({}));

/** Another server process on the same database (local) or the same project (Supabase): its own backend objects and clients. */
async function anotherInstance(app: TestApp): Promise<BackendRuntime> {
  const config = app.context.env.backend;
  return config.kind === "local" ? createLocalBackend(config, { secureCookies: false }) : createSupabaseBackend(config, { secureCookies: false });
}

/** Runs SQL past every policy on whichever database backs the app: PGlite in local mode, the emulator's in Supabase mode. */
async function superuserSql<T>(app: TestApp, text: string, params: unknown[]): Promise<T[]> {
  if (app.backend === "local") return (await (await getDatabase((app as LocalApp).dataDir)).query<T>(text, params)).rows;
  return (app as SupabaseApp).api.sql<T>(text, params);
}

/**
 * A reservation left behind by a server that crashed between reserving and
 * creating (written straight into the table, as that server would have left
 * it). Returns a way to make it expire.
 */
async function strandedReservation(app: TestApp, userId: string): Promise<{ expire(): Promise<void> }> {
  const [row] = await superuserSql<{ id: string }>(
    app,
    "insert into public.prediction_reservations (user_id, expires_at) values ($1, now() + interval '2 minutes') returning id",
    [userId],
  );
  return {
    async expire() {
      await superuserSql(app, "update public.prediction_reservations set expires_at = now() - interval '1 second' where id = $1", [row.id]);
    },
  };
}

async function reservationsLeft(app: TestApp, userId: string): Promise<number> {
  const [row] = await superuserSql<{ count: number }>(app, "select count(*)::int as count from public.prediction_reservations where user_id = $1", [userId]);
  return row.count;
}

describe.each(backends)("on the $name backend", ({ name, start }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await start(ENV);
    expect(app.context.env.backend.kind).toBe(name);
  });
  afterAll(() => app.stop());

  it("accepts exactly 2 of 20 simultaneous creates from one person and refuses the other 18 with 429", async () => {
    const session = await app.signUp("twenty-at-once@example.com");
    app.actAs(session);
    const responses = await Promise.all(Array.from({ length: 20 }, () => create()));

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(18);
    const refusals = await Promise.all(responses.filter((response) => response.status === 429).map((response) => response.json()));
    expect(new Set(refusals.map((body) => JSON.stringify(body)))).toEqual(new Set([JSON.stringify({ error: { code: "rate_limited", message: BUSY } })]));
    expect(await countPredictions(app, session.user.id)).toBe(2);
    expect(await reservationsLeft(app, session.user.id)).toBe(0);
  });

  it("holds the limits across two server instances sharing the database", async () => {
    const session = await app.signUp("two-instances@example.com");
    app.actAs(session);
    const instances = [await anotherInstance(app), await anotherInstance(app)];
    const model = await app.context.catalog.resolve();
    const limits = { concurrent: 2, createsPerMinute: 10 };
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        createPrediction({ user: session.user, backend: instances[i % 2].backendFor(session.user), engine: app.context.model, model, input: { prompt: "shared" }, limits }),
      ),
    );

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(2);
    const refused = results.flatMap((result) => (result.status === "rejected" ? [result.reason as AppError] : []));
    expect(refused).toHaveLength(18);
    for (const error of refused) expect(error).toMatchObject({ code: "rate_limited", status: 429, message: BUSY });
    expect(await countPredictions(app, session.user.id)).toBe(2);
  });

  it("holds the per-minute limit for simultaneous creates too", async () => {
    const session = await app.signUp("per-minute-burst@example.com");
    app.actAs(session);
    const model = await app.context.catalog.resolve();
    const backend = app.context.backendFor(session.user);
    // Room for many running at once, three a minute: the minute's limit is the one that binds.
    const limits = { concurrent: 50, createsPerMinute: 3 };
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => createPrediction({ user: session.user, backend, engine: app.context.model, model, input: { prompt: "burst" }, limits })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(3);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ code: "rate_limited", message: "You can start 3 images a minute. Try again shortly." });
    }
    expect(await countPredictions(app, session.user.id)).toBe(3);
  });

  it("counts a reservation left by a crashed server until it expires, then lets the person start again", async () => {
    const session = await app.signUp("crashed-server@example.com");
    app.actAs(session);
    expect((await create()).status).toBe(201);
    const stranded = await strandedReservation(app, session.user.id);

    const refused = await create();
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.message).toBe(BUSY);

    await stranded.expire();
    expect((await create()).status).toBe(201);
    expect(await reservationsLeft(app, session.user.id)).toBe(0);
  });

  it("gives the place back when the create fails, so the person is not blocked by a run that never started", async () => {
    const session = await app.signUp("failed-create@example.com");
    app.actAs(session);
    const model = await app.context.catalog.resolve();
    const down: ImageModel = {
      ...app.context.model,
      create: () => Promise.reject(new AppError("upstream_unavailable", "The model is down.", { retryAfter: 5 })),
    };
    const limits = { concurrent: 1, createsPerMinute: 10 };
    const backend = app.context.backendFor(session.user);
    const attempt = (engine: ImageModel) => createPrediction({ user: session.user, backend, engine, model, input: { prompt: "retry me" }, limits });

    await expect(attempt(down)).rejects.toMatchObject({ code: "upstream_unavailable" });
    await expect(attempt(down)).rejects.toMatchObject({ code: "upstream_unavailable" });
    expect(await reservationsLeft(app, session.user.id)).toBe(0);
    await expect(attempt(app.context.model)).resolves.toMatchObject({ status: expect.any(String) });
    // And that one counts now, as its row.
    await expect(attempt(app.context.model)).rejects.toMatchObject({ code: "rate_limited", message: "You already have 1 image generating. Wait for one to finish." });
  });

  it("reserves for the caller's own session, and not at all for the service role", async () => {
    const alice: TestSession = await app.signUp("alice-reserves@example.com");
    app.actAs(alice);
    const rows = app.context.backendFor(alice.user).rows;
    const held = await rows.reservePrediction({ concurrent: 5, perMinute: 5 });
    expect(held.ok).toBe(true);
    // The function acts for the caller's JWT: the reservation is Alice's, whoever's id a caller has in mind.
    expect(await reservationsLeft(app, alice.user.id)).toBe(1);
    if (held.ok) await rows.releaseReservation({ id: held.id });
    expect(await reservationsLeft(app, alice.user.id)).toBe(0);

    // The service role (webhooks, reconcile) has no person to reserve for.
    await expect(app.context.serviceBackend().rows.reservePrediction({ concurrent: 5, perMinute: 5 })).rejects.toMatchObject({ code: "not_found" });
  });
});
