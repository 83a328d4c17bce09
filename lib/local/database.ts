import "server-only";

import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { BOOTSTRAP_SQL } from "@/lib/local/bootstrap-sql";

export type { PGlite, Transaction };

export const MEMORY_DATA_DIR = "memory://";

// The Supabase CLI's naming: <version>_<name>.sql; it skips anything else too.
const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;

/*
 * Postgres' default shared_buffers (128MB) is sized for a server; a local app
 * with a few thousand rows needs a fraction of it. Measured on Node 20 (RSS
 * growth): first create of a data folder ~750 -> ~590 MB (initdb runs in a
 * second WebAssembly instance, once per folder), reopening ~260 -> ~180 MB.
 * `initialMemory` cannot go below PGlite's 128 MiB floor, and relaxedDurability
 * changes nothing on Node's filesystem (PGlite already runs with fsync off).
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

/**
 * Opens (creating if needed) the embedded database and brings it up to date:
 * the Supabase bootstrap once, then every migration not yet recorded.
 */
export async function openDatabase(dataDir: string | typeof MEMORY_DATA_DIR): Promise<PGlite> {
  let db: PGlite;
  if (dataDir === MEMORY_DATA_DIR) {
    db = await PGlite.create({ startParams: START_PARAMS });
  } else {
    const pgDir = path.resolve(dataDir, "pglite");
    await mkdir(pgDir, { recursive: true });
    db = await PGlite.create({ dataDir: pgDir, startParams: START_PARAMS });
  }
  try {
    await bootstrap(db);
    await applyMigrations(db, path.join(process.cwd(), "supabase", "migrations"));
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

async function bootstrap(db: PGlite): Promise<void> {
  const { rows } = await db.query<{ present: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as present",
  );
  if (rows[0]?.present) return;
  await db.transaction(async (tx) => {
    await tx.exec(BOOTSTRAP_SQL);
  });
}

async function applyMigrations(db: PGlite, dir: string): Promise<void> {
  const files = (await readdir(dir)).filter((name) => MIGRATION_FILE.test(name)).sort();
  const { rows } = await db.query<{ version: string }>("select version from supabase_migrations.schema_migrations");
  const applied = new Set(rows.map((row) => row.version));

  for (const file of files) {
    const [, version, name] = MIGRATION_FILE.exec(file)!;
    if (applied.has(version)) continue;
    const sql = await readFile(path.join(dir, file), "utf8");
    // One transaction per file, as `supabase db push` does: a failing migration
    // leaves neither half-applied schema nor a record claiming it ran.
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.query(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)",
        [version, name, [sql]],
      );
    });
  }
}

type DatabaseCache = Map<string, Promise<PGlite>>;
const CACHE_KEY = Symbol.for("sdxl-studio.local-databases");

function databaseCache(): DatabaseCache {
  const store = globalThis as typeof globalThis & { [CACHE_KEY]?: DatabaseCache };
  return (store[CACHE_KEY] ??= new Map());
}

const cacheKey = (dataDir: string) => (dataDir === MEMORY_DATA_DIR ? dataDir : path.resolve(dataDir));

/**
 * One database per data folder for the whole process. Kept on globalThis because
 * Next can evaluate this module more than once (dev reloads, separate bundles),
 * and two PGlite instances on one folder would corrupt it. The promise is cached,
 * so concurrent first calls share one open.
 */
export function getDatabase(dataDir: string): Promise<PGlite> {
  const cache = databaseCache();
  const key = cacheKey(dataDir);
  const cached = cache.get(key);
  if (cached) return cached;
  const opening = openDatabase(dataDir).catch((error: unknown) => {
    // Let the next request try again rather than caching the failure forever.
    if (cache.get(key) === opening) cache.delete(key);
    throw error;
  });
  cache.set(key, opening);
  return opening;
}

/** Closes the shared database for `dataDir`, if open (tests, shutdown); the next getDatabase reopens it. */
export async function closeDatabase(dataDir: string): Promise<void> {
  const cache = databaseCache();
  const key = cacheKey(dataDir);
  const opening = cache.get(key);
  if (!opening) return;
  cache.delete(key);
  const db = await opening.catch(() => null);
  if (db && !db.closed) await db.close();
}

export type DbIdentity = { kind: "user"; user: { id: string; email: string } } | { kind: "service" };

/**
 * Runs `fn` in a transaction as the API role PostgREST would use, with the same
 * JWT claims, so the migrations' row-level security decides what it may touch.
 * PGlite's own user is a superuser that bypasses RLS: app queries never run as
 * it. `set local` ends with the transaction, so nothing leaks to the next one.
 */
export async function withIdentity<T>(
  db: PGlite,
  identity: DbIdentity,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const claims =
    identity.kind === "user"
      ? { sub: identity.user.id, email: identity.user.email, role: "authenticated", aud: "authenticated" }
      : { role: "service_role" };
  const role = identity.kind === "user" ? "authenticated" : "service_role";
  const sub = identity.kind === "user" ? identity.user.id : "";

  return db.transaction(async (tx) => {
    await tx.exec(`set local role ${role}`);
    await tx.query(
      "select set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true), set_config('request.jwt.claim.role', $3, true)",
      [JSON.stringify(claims), sub, role],
    );
    return fn(tx);
  });
}
