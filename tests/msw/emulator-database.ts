import { createHash } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { BOOTSTRAP_SQL } from "@/lib/local/bootstrap-sql";
import { MIGRATIONS_DIR, prepareSupabaseDatabase } from "@/lib/local/database";

/**
 * The emulated project's Postgres: PGlite with the same bootstrap and
 * migrations as local mode (lib/local/database.ts), so grants, row-level
 * security, constraints, triggers and functions are the migrations' own.
 *
 * Making one from nothing (initdb + migrations) takes 5-15 s here; loading a
 * dump of a migrated one takes 1-2 s. The dump is kept in the system's temp
 * folder, named by a hash of everything that shapes it, so the whole suite
 * (every worker, every run) builds it once per change of the SQL. A project
 * that is closed gives its database back to this worker: emptied back to the
 * template's rows (every table truncated, the migrations' own rows and the
 * sequences put back) in some tens of milliseconds, it serves the next one.
 */

export type Claims = Record<string, unknown> & { role: "anon" | "authenticated" | "service_role" };

const TEMPLATE_DIR = path.join(os.tmpdir(), "sdxl-studio-emulator-templates");
const templates = new Map<string, Promise<Blob>>();
const idle = new Map<string, PGlite[]>();
const baselines = new Map<string, Promise<Baseline>>();
const MAX_IDLE = 2;

export type ProjectDatabase = { db: PGlite; release(): Promise<void> };

/** A database as the migrations in `migrationsDir` (the repository's by default) leave it, with no other rows. */
export async function openProjectDatabase(migrationsDir: string = MIGRATIONS_DIR): Promise<ProjectDatabase> {
  const key = await templateKey(migrationsDir);
  let db = idle.get(key)?.pop();
  if (!db) {
    let template = templates.get(key);
    if (!template) {
      template = loadTemplate(key, migrationsDir);
      templates.set(key, template);
      template.catch(() => templates.delete(key));
    }
    db = await PGlite.create({ loadDataDir: await template });
  }
  const opened = db;
  let baseline = baselines.get(key);
  if (!baseline) {
    baseline = readBaseline(opened);
    baselines.set(key, baseline);
  }
  await baseline;
  let released = false;
  return {
    db: opened,
    async release() {
      if (released) return;
      released = true;
      const pool = idle.get(key) ?? [];
      idle.set(key, pool);
      if (pool.length >= MAX_IDLE || opened.closed) return void (await opened.close().catch(() => {}));
      await resetToBaseline(opened, await baseline);
      pool.push(opened);
    },
  };
}

type Baseline = { tables: Array<{ name: string; columns: string[]; rows: string }>; sequences: Array<{ name: string; value: string; called: boolean }> };

/** Every table's rows and every sequence's position right after the migrations: what a reset puts back. */
async function readBaseline(db: PGlite): Promise<Baseline> {
  const { rows: tables } = await db.query<{ name: string; columns: string[] }>(
    `select c.oid::regclass::text as name,
            array(select quote_ident(a.attname) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum) as columns
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'supabase_migrations') and n.nspname not like 'pg!_%' escape '!'`,
  );
  const withRows = [];
  for (const table of tables) {
    const { rows } = await db.query<{ rows: string }>(`select coalesce(json_agg(t), '[]')::text as rows from ${table.name} t`);
    withRows.push({ ...table, rows: rows[0].rows });
  }
  const { rows: sequences } = await db.query<{ name: string; value: string; called: boolean }>(
    `select format('%I.%I', schemaname, sequencename) as name, coalesce(last_value, start_value)::text as value, last_value is not null as called
       from pg_sequences where schemaname not in ('pg_catalog', 'information_schema')`,
  );
  return { tables: withRows, sequences };
}

/** Empties every table and puts back the baseline's rows, with triggers and foreign keys off while it does (replica mode). */
async function resetToBaseline(db: PGlite, baseline: Baseline): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("set local session_replication_role = replica");
    if (baseline.tables.length) await tx.query(`truncate table ${baseline.tables.map((table) => table.name).join(", ")} restart identity cascade`);
    for (const table of baseline.tables) {
      if (table.rows === "[]") continue;
      const list = table.columns.join(", ");
      await tx.query(`insert into ${table.name} (${list}) overriding system value select ${list} from json_populate_recordset(null::${table.name}, $1::json)`, [table.rows]);
    }
    for (const sequence of baseline.sequences) await tx.query("select setval($1::regclass, $2::bigint, $3)", [sequence.name, sequence.value, sequence.called]);
  });
}

async function templateKey(migrationsDir: string): Promise<string> {
  const hash = createHash("sha256").update(BOOTSTRAP_SQL);
  const pglite = JSON.parse(await readFile(path.join(process.cwd(), "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string };
  hash.update(pglite.version);
  for (const file of (await readdir(migrationsDir)).sort()) {
    if (file.endsWith(".sql")) hash.update(file).update(await readFile(path.join(migrationsDir, file)));
  }
  return hash.digest("hex").slice(0, 24);
}

async function loadTemplate(key: string, migrationsDir: string): Promise<Blob> {
  const file = path.join(TEMPLATE_DIR, `${key}.tar`);
  const cached = await readFile(file).catch(() => null);
  if (cached) return new Blob([cached]);
  await mkdir(TEMPLATE_DIR, { recursive: true });
  // One builder at a time across workers; the others wait for its file.
  const lock = path.join(TEMPLATE_DIR, `${key}.lock`);
  const handle = await open(lock, "wx").catch(() => null);
  if (!handle) {
    const waited = await waitFor(file, lock);
    if (waited) return waited;
    return loadTemplate(key, migrationsDir);
  }
  try {
    const db = await PGlite.create();
    try {
      await prepareSupabaseDatabase(db, migrationsDir);
      const dump = await db.dumpDataDir("none");
      const staging = `${file}.${process.pid}.tmp`;
      await writeFile(staging, new Uint8Array(await dump.arrayBuffer()));
      await rename(staging, file);
      return dump;
    } finally {
      await db.close();
    }
  } finally {
    await handle.close();
    await rm(lock, { force: true });
  }
}

/** The dump another worker is building; null if its lock went away (or went stale) without one. */
async function waitFor(file: string, lock: string): Promise<Blob | null> {
  for (;;) {
    const done = await readFile(file).catch(() => null);
    if (done) return new Blob([done]);
    const since = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => null);
    if (since === null) return null;
    if (since > 120_000) {
      await rm(lock, { force: true });
      return null;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Runs `fn` in a transaction as PostgREST and storage-api run a request:
 * `set local role` to the JWT's role and the claims in `request.jwt.claims`
 * (plus the older per-claim settings), so auth.uid() and the policies see them.
 */
export function asRole<T>(db: PGlite, claims: Claims, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(
      "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)",
      [claims.role, JSON.stringify(claims), typeof claims.sub === "string" ? claims.sub : ""],
    );
    return fn(tx);
  });
}

/** Postgres' way of quoting an identifier: always quoted, inner quotes doubled. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
