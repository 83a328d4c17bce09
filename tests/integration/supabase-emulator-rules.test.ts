import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupabaseApi, PUBLISHABLE_KEY, SERVICE_ROLE_KEY, SUPABASE_URL } from "@/tests/msw/supabase-handlers";

/**
 * The emulator's rules are the migrations': nothing about a table lives in
 * tests/msw. Shown two ways: requests straight to the emulated PostgREST and
 * Storage get what the SQL says (with PostgREST's statuses and bodies), and the
 * same requests against a changed copy of the SQL get what the changed SQL says.
 */

const server = setupServer();
const password = "correct horse battery";
const predictionFor = (userId: string, id: string) => ({
  id, user_id: userId, model: "owner/model:v1", model_name: "A model", input: { prompt: "x" }, status: "starting",
});

beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

/** A project with two people signed in (their access tokens), REST and Storage reachable with fetch. */
async function project(migrationsDir?: string) {
  const api = await createSupabaseApi({ migrationsDir });
  server.resetHandlers(...api.handlers);
  const token = async (email: string) => {
    api.addUser({ email, password });
    const response = await fetch(`${SUPABASE_URL}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${PUBLISHABLE_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    const session = (await response.json()) as { access_token: string; user: { id: string } };
    return { token: session.access_token, id: session.user.id };
  };
  const [alice, bob] = [await token("alice@example.com"), await token("bob@example.com")];
  const keys = (as: { token: string } | "anon" | "service") =>
    as === "service"
      ? { apikey: SERVICE_ROLE_KEY, authorization: `Bearer ${SERVICE_ROLE_KEY}` }
      : { apikey: PUBLISHABLE_KEY, authorization: `Bearer ${as === "anon" ? PUBLISHABLE_KEY : as.token}` };
  async function rest(as: Parameters<typeof keys>[0], method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${SUPABASE_URL}/rest/v1/${pathAndQuery}`, {
      method, headers: { ...keys(as), "content-type": "application/json", ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null, headers: response.headers };
  }
  async function upload(as: Parameters<typeof keys>[0], name: string) {
    const response = await fetch(`${SUPABASE_URL}/storage/v1/object/sdxl-images/${name}`, {
      method: "POST", headers: { ...keys(as), "content-type": "image/png" }, body: new Uint8Array([1, 2, 3]),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  return { api, alice, bob, rest, upload };
}

/** A copy of supabase/migrations with `edits` applied (each must match), plus extra files. */
async function changedMigrations(edits: Array<{ file: string; from: string; to: string }>, extra: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sdxl-changed-migrations-"));
  await cp(path.join(process.cwd(), "supabase", "migrations"), dir, { recursive: true });
  for (const { file, from, to } of edits) {
    const sql = await readFile(path.join(dir, file), "utf8");
    if (!sql.includes(from)) throw new Error(`${file} no longer contains the text this test changes: ${from}`);
    await writeFile(path.join(dir, file), sql.replace(from, to));
  }
  for (const [file, sql] of Object.entries(extra)) await writeFile(path.join(dir, file), sql);
  return dir;
}

describe("with the repository's migrations", () => {
  let p: Awaited<ReturnType<typeof project>>;
  beforeAll(async () => {
    p = await project();
  });
  afterAll(() => p.api.close());

  it("refuses a prediction recorded for someone else: 403 with Postgres' row-level security error", async () => {
    const response = await p.rest(p.alice, "POST", "predictions", predictionFor(p.bob.id, "cross_user"));
    expect(response).toMatchObject({
      status: 403,
      body: { code: "42501", details: null, hint: null, message: 'new row violates row-level security policy for table "predictions"' },
    });
    expect(await p.api.rows("predictions")).toEqual([]);
  });

  it("answers as PostgREST does: grants, constraints, defaults, single objects, counts", async () => {
    const created = await p.rest(p.alice, "POST", "predictions?select=id,output_count,logs_length", predictionFor(p.alice.id, "mine_1"), {
      prefer: "return=representation", accept: "application/vnd.pgrst.object+json",
    });
    expect(created).toMatchObject({ status: 201, body: { id: "mine_1", output_count: 1, logs_length: 0 } });
    // created_at is not in the insert grant: the ledger cannot be backdated.
    expect(await p.rest(p.alice, "POST", "predictions", { ...predictionFor(p.alice.id, "mine_2"), created_at: "2020-01-01T00:00:00Z" })).toMatchObject({
      status: 403, body: { code: "42501", message: "permission denied for table predictions" },
    });
    expect(await p.rest(p.alice, "POST", "predictions", predictionFor(p.alice.id, "mine_1"))).toMatchObject({ status: 409, body: { code: "23505" } });
    expect(await p.rest(p.alice, "POST", "predictions", { ...predictionFor(p.alice.id, "mine_3"), status: "nonsense" })).toMatchObject({ status: 400, body: { code: "23514" } });
    expect(await p.rest(p.alice, "POST", "predictions", { ...predictionFor(p.alice.id, "mine_4"), model: null })).toMatchObject({ status: 400, body: { code: "23502" } });
    expect(await p.rest(p.alice, "POST", "predictions", { ...predictionFor(p.alice.id, "mine_5"), colour: "red" })).toMatchObject({ status: 400, body: { code: "PGRST204" } });
    expect(await p.rest(p.alice, "GET", "predictions?select=colour")).toMatchObject({ status: 400, body: { code: "42703" } });
    expect(await p.rest(p.alice, "GET", "predictions?user_id=eq.not-a-uuid")).toMatchObject({ status: 400, body: { code: "22P02" } });
    expect(await p.rest(p.alice, "GET", "predictions?id=eq.nothing", undefined, { accept: "application/vnd.pgrst.object+json" })).toMatchObject({
      status: 406, body: { code: "PGRST116", details: "The result contains 0 rows" },
    });
    // Bob sees none of it; anon is refused the table outright (401); the service role sees all.
    expect(await p.rest(p.bob, "GET", "predictions?select=id")).toMatchObject({ status: 200, body: [] });
    expect(await p.rest("anon", "GET", "predictions?select=id")).toMatchObject({ status: 401, body: { code: "42501" } });
    const counted = await p.rest("service", "GET", "predictions?select=id&order=id.desc.nullslast&limit=5", undefined, { prefer: "count=exact" });
    expect(counted).toMatchObject({ status: 200, body: [{ id: "mine_1" }] });
    expect(counted.headers.get("content-range")).toBe("0-0/1");
    // Only the service role may call the throttle's functions.
    expect(await p.rest(p.alice, "POST", "rpc/auth_throttle_forget", { p_ids: [1] })).toMatchObject({ status: 403, body: { code: "42501" } });
    expect(await p.rest("service", "POST", "rpc/auth_throttle_forget", { p_ids: [1] })).toMatchObject({ status: 204 });
    expect(await p.rest("service", "POST", "rpc/no_such_function", {})).toMatchObject({ status: 404, body: { code: "PGRST202" } });
  });

  it("keeps quoted filter values as values", async () => {
    const response = await p.rest("service", "GET", `predictions?select=id&or=(id.eq."x\\"),id.neq.(y",id.eq.mine_1)`);
    expect(response).toMatchObject({ status: 200, body: [{ id: "mine_1" }] });
  });

  it("refuses an upload into someone else's folder, under the storage policy", async () => {
    expect(await p.upload(p.alice, `${p.bob.id}/x.png`)).toMatchObject({ status: 400, body: { statusCode: "403" } });
    expect(await p.upload(p.alice, `${p.alice.id}/x.png`)).toMatchObject({ status: 200 });
    expect(await p.api.sql("select name from storage.objects")).toEqual([{ name: `${p.alice.id}/x.png` }]);
  });
});

describe("with a changed copy of the migrations", () => {
  let p: Awaited<ReturnType<typeof project>>;
  let dir: string;
  beforeAll(async () => {
    dir = await changedMigrations(
      [
        {
          file: "20261124000000_sdxl_studio.sql",
          from: "on public.predictions for insert to authenticated\n  with check (user_id = (select auth.uid()));",
          to: "on public.predictions for insert to authenticated\n  with check (true);",
        },
        {
          file: "20261124000000_sdxl_studio.sql",
          from: "on storage.objects for insert to authenticated\n  with check (bucket_id = 'sdxl-images' and (storage.foldername(name))[1] = (select auth.uid())::text);",
          to: "on storage.objects for insert to authenticated\n  with check (bucket_id = 'sdxl-images');",
        },
      ],
      {
        // A table, a trigger and a function the emulator has never heard of.
        "20990101000000_emulator_probe.sql": `
          create table public.probe_notes (
            id bigint generated always as identity primary key,
            user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
            body text not null check (char_length(body) between 1 and 20),
            shout text
          );
          alter table public.probe_notes enable row level security;
          create policy "own notes" on public.probe_notes for all to authenticated
            using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
          grant select, insert (body), delete on public.probe_notes to authenticated;
          grant usage on sequence public.probe_notes_id_seq to authenticated;
          create function public.probe_shout() returns trigger language plpgsql as $$
          begin new.shout := upper(new.body); return new; end $$;
          create trigger probe_shout before insert on public.probe_notes for each row execute function public.probe_shout();
          create function public.count_my_notes(p_min_length integer default 1) returns integer
            language sql stable as $$ select count(*)::int from public.probe_notes where char_length(body) >= p_min_length $$;
          create function public.my_note_bodies() returns setof text
            language sql stable as $$ select body from public.probe_notes order by id $$;
        `,
      },
    );
    p = await project(dir);
  });
  afterAll(async () => {
    await p.api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts the cross-user prediction once the policy says `with check (true)`", async () => {
    const response = await p.rest(p.alice, "POST", "predictions", predictionFor(p.bob.id, "cross_user"));
    expect(response.status).toBe(201);
    expect(await p.api.rows("predictions")).toEqual([expect.objectContaining({ id: "cross_user", user_id: p.bob.id })]);
  });

  it("accepts the upload into someone else's folder once the storage policy stops checking it", async () => {
    expect(await p.upload(p.alice, `${p.bob.id}/x.png`)).toMatchObject({ status: 200 });
  });

  it("serves a new table, its trigger, default and policies, and new functions, with no emulator change", async () => {
    const note = await p.rest(p.alice, "POST", "probe_notes?select=body,shout,user_id", { body: "hello" }, { prefer: "return=representation" });
    expect(note).toMatchObject({ status: 201, body: [{ body: "hello", shout: "HELLO", user_id: p.alice.id }] });
    await p.rest(p.alice, "POST", "probe_notes", { body: "hi" });
    expect(await p.rest(p.alice, "POST", "probe_notes", { body: "x".repeat(21) })).toMatchObject({ status: 400, body: { code: "23514" } });
    expect(await p.rest(p.alice, "POST", "probe_notes", { body: "x", shout: "no" })).toMatchObject({ status: 403, body: { code: "42501" } });
    expect(await p.rest(p.bob, "GET", "probe_notes")).toMatchObject({ status: 200, body: [] });
    expect(await p.rest(p.alice, "POST", "rpc/count_my_notes", {})).toMatchObject({ status: 200, body: 2 });
    expect(await p.rest(p.alice, "POST", "rpc/count_my_notes", { p_min_length: 3 })).toMatchObject({ status: 200, body: 1 });
    expect(await p.rest(p.bob, "POST", "rpc/count_my_notes", {})).toMatchObject({ status: 200, body: 0 });
    expect(await p.rest(p.alice, "POST", "rpc/my_note_bodies", {})).toMatchObject({ status: 200, body: ["hello", "hi"] });
    expect(await p.rest(p.alice, "POST", "rpc/count_my_notes", { p_unknown: 1 })).toMatchObject({ status: 404, body: { code: "PGRST202" } });
  });
});
