import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMORY_DATA_DIR, openDatabase, withIdentity, type DbIdentity } from "@/lib/local/database";
import { identityRunners } from "@/lib/local/identity-runners";
import { queryAs } from "@/lib/local/query-as";

// queryAs (lib/local/query-as.ts) sends one statement as a person in a single
// pipelined exchange. These check that it keeps every promise withIdentity
// makes: row security as that person, nothing left behind for the next query,
// errors with their SQLSTATE, and never a step inside someone else's transaction.

let db: PGlite;
let asAlice: DbIdentity;
let asBob: DbIdentity;
const asService: DbIdentity = { kind: "service" };
const PREDICTION = "pquery0as0test0000001";
const READ = "select id, user_id, status from public.predictions where id = $1";

async function createUser(email: string) {
  const { rows } = await db.query<{ id: string }>("insert into auth.users (email, encrypted_password) values ($1, 'x') returning id", [email]);
  return { id: rows[0].id, email };
}

/** Who the database thinks is asking, outside any transaction. */
async function sessionIdentity() {
  const { rows } = await db.query<{ role: string; claims: string; sub: string }>(
    "select current_user as role, current_setting('request.jwt.claims', true) as claims, current_setting('request.jwt.claim.sub', true) as sub",
  );
  return rows[0];
}

beforeAll(async () => {
  db = await openDatabase(MEMORY_DATA_DIR);
  const alice = await createUser("alice@example.com");
  const bob = await createUser("bob@example.com");
  asAlice = { kind: "user", user: alice };
  asBob = { kind: "user", user: bob };
  await withIdentity(db, asAlice, (tx) =>
    tx.query(
      `insert into public.predictions (id, user_id, model, model_name, model_key, input, output_count, status)
       values ($1, $2, 'local-preview', 'Local preview model', 'local-preview', '{}'::jsonb, 1, 'starting')`,
      [PREDICTION, alice.id],
    ),
  );
});

afterAll(() => db.close());

describe("queryAs", () => {
  it("answers as withIdentity does, under row security, whoever asked before (the plan is prepared once)", async () => {
    const viaTransaction = await withIdentity(db, asAlice, (tx) => tx.query(READ, [PREDICTION]));
    const viaQueryAs = await queryAs(db, asAlice, READ, [PREDICTION]);
    expect(viaQueryAs.rows).toEqual(viaTransaction.rows);
    expect(viaQueryAs.rows).toHaveLength(1);
    // Same statement, now prepared: Bob still sees nothing of Alice's, the service role sees it.
    expect((await queryAs(db, asBob, READ, [PREDICTION])).rows).toEqual([]);
    expect((await queryAs(db, asService, READ, [PREDICTION])).rows).toHaveLength(1);
    expect((await queryAs(db, asAlice, READ, [PREDICTION])).rows).toHaveLength(1);
  });

  it("leaves no role and no claims behind for the next query", async () => {
    const before = await sessionIdentity();
    await queryAs(db, asAlice, READ, [PREDICTION]);
    expect(await sessionIdentity()).toEqual(before);
    expect(before.role).toBe("postgres");
    expect(before.sub ?? "").toBe("");
  });

  it("commits a write, and row security refuses one that is not the person's, with its SQLSTATE", async () => {
    const updated = await queryAs(db, asAlice, "update public.predictions set status = 'processing' where id = $1 returning status", [PREDICTION]);
    expect(updated.rows).toEqual([{ status: "processing" }]);
    expect((await db.query<{ status: string }>("select status from public.predictions where id = $1", [PREDICTION])).rows[0].status).toBe("processing");

    const refused = queryAs(
      db,
      asBob,
      `insert into public.predictions (id, user_id, model, model_name, model_key, input, output_count, status)
       values ('pquery0as0test0000002', $1, 'local-preview', 'Local', 'local-preview', '{}'::jsonb, 1, 'starting')`,
      [(asAlice as { user: { id: string } }).user.id],
    );
    await expect(refused).rejects.toMatchObject({ code: "42501" });
    expect((await db.query("select 1 from public.predictions where id = 'pquery0as0test0000002'")).rows).toEqual([]);
    // The connection is clean after the error.
    expect((await queryAs(db, asAlice, READ, [PREDICTION])).rows).toHaveLength(1);
  });

  it("refuses a bad statement every time, and remembers nothing of it", async () => {
    await expect(queryAs(db, asAlice, "select no_such_column from public.predictions")).rejects.toMatchObject({ code: "42703" });
    await expect(queryAs(db, asAlice, "select no_such_column from public.predictions")).rejects.toMatchObject({ code: "42703" });
    expect((await queryAs(db, asAlice, READ, [PREDICTION])).rows).toHaveLength(1);
  });

  it("waits for another caller's open transaction instead of running inside it", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let begun!: () => void;
    const open = new Promise<void>((resolve) => (begun = resolve));
    let transactionSaw: string | undefined;
    const transaction = withIdentity(db, asBob, async (tx) => {
      begun();
      await held;
      // Still Bob's transaction, whatever was asked meanwhile.
      transactionSaw = (await tx.query<{ sub: string }>("select current_setting('request.jwt.claim.sub', true) as sub")).rows[0].sub;
    });
    try {
      await open; // Bob's BEGIN has run and his identity is set
      let answered = false;
      const read = queryAs(db, asAlice, READ, [PREDICTION]).then((result) => ((answered = true), result));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered).toBe(false);

      release();
      await transaction;
      expect(transactionSaw).toBe((asBob as { user: { id: string } }).user.id);
      // Then Alice's read runs as Alice, and sees her row.
      expect((await read).rows).toHaveLength(1);
    } finally {
      release();
    }
  });

  it("sends numbers, booleans, nulls and arrays of strings as Postgres reads them", async () => {
    const { rows } = await queryAs<{ n: number; b: boolean; missing: string | null; list: string[] }>(
      db,
      asAlice,
      "select $1::int as n, $2::boolean as b, $3::text as missing, $4::text[] as list",
      [42, true, null, ["plain", 'a "quote"', "back\\slash", "comma,brace}"]],
    );
    expect(rows).toEqual([{ n: 42, b: true, missing: null, list: ["plain", 'a "quote"', "back\\slash", "comma,brace}"] }]);
    await expect(queryAs(db, asAlice, "select $1::jsonb", [{ not: "text" }])).rejects.toThrow(/pass JSON as text/);
  });
});

describe("identityRunners().runOne, the stores' way to send one statement", () => {
  it("turns a row-security refusal into not_found, as run() does", async () => {
    const insertAsAlice = (tx: { query: typeof db.query }) =>
      tx.query(
        `insert into public.predictions (id, user_id, model, model_name, model_key, input, output_count, status)
         values ('pquery0as0test0000003', $1, 'local-preview', 'Local', 'local-preview', '{}'::jsonb, 1, 'starting')`,
        [(asAlice as { user: { id: string } }).user.id],
      );
    const { run, runOne } = identityRunners(db, asBob);
    await expect(runOne(insertAsAlice)).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(run(insertAsAlice)).rejects.toMatchObject({ code: "not_found", status: 404 });
  });

  it("refuses a second statement, which would not share the first one's transaction", async () => {
    const { runOne } = identityRunners(db, asAlice);
    const twice = runOne(async (tx) => {
      await tx.query(READ, [PREDICTION]);
      await tx.query(READ, [PREDICTION]);
    });
    await expect(twice).rejects.toThrow("runOne sends one statement; use run() for a transaction.");
  });
});
