import "server-only";

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { BOOTSTRAP_SQL } from "@/lib/local/bootstrap-sql";
import { LOCAL_AUTH_SQL } from "@/lib/local/local-auth-sql";

export type { PGlite, Transaction };

export const MEMORY_DATA_DIR = "memory://";

// The Supabase CLI's naming: <version>_<name>.sql; it skips anything else too.
const MIGRATION_FILE = /^(\d+)_(.+)\.sql$/;

/*
 * Postgres' default shared_buffers (128MB) is sized for a server; a local app
 * with a few thousand rows needs a fraction of it. Measured on Node 20 (RSS
 * growth when reopening a data folder): ~290 MB with the defaults, ~135 MB with
 * 16MB; going lower (4MB, 1MB) saves under 5 MB more, as the rest is PGlite's
 * compiled WebAssembly and its file bundle. `initialMemory` cannot go below
 * PGlite's 128 MiB floor, and relaxedDurability changes nothing on Node's
 * filesystem (PGlite already runs with fsync off).
 */
const START_PARAMS = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];

/**
 * Opens (creating if needed) the embedded database and brings it up to date:
 * the Supabase bootstrap once, then every migration not yet recorded, then
 * local mode's own auth tables (idempotent, so older data folders gain them).
 */
export async function openDatabase(dataDir: string | typeof MEMORY_DATA_DIR): Promise<PGlite> {
  let db: PGlite;
  if (dataDir === MEMORY_DATA_DIR) {
    db = await PGlite.create({ startParams: START_PARAMS });
  } else {
    const pgDir = path.resolve(dataDir, "pglite");
    await initialiseDataFolder(pgDir);
    db = await PGlite.create({ dataDir: pgDir, startParams: START_PARAMS });
  }
  try {
    await prepareSupabaseDatabase(db);
    await db.transaction(async (tx) => {
      await tx.exec(LOCAL_AUTH_SQL);
    });
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

/*
 * A new data folder is made (initdb) in a short-lived child process. PGlite
 * runs initdb in a second WebAssembly instance whose memory only goes back when
 * V8 gets round to collecting it, and the heap stays fragmented after: done in
 * this process, `npm run bench` measured the server at ~720 MB RSS after its
 * first start and 390-400 MB at rest later (peak 820-900 MB); with the child,
 * 270-330 MB after start and 335-380 MB at rest, which is also the peak. The child
 * builds the folder beside its final place and it is renamed in whole, so an
 * interrupted first start leaves no half-made database.
 */
const INITDB_SCRIPT = `
const { PGlite } = await import("@electric-sql/pglite");
const db = await PGlite.create({ dataDir: process.argv[1] });
await db.close();
`;

async function initialiseDataFolder(pgDir: string): Promise<void> {
  if (await hasDatabase(pgDir)) return;
  const parent = path.dirname(pgDir);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(path.join(parent, ".pglite-initdb-"));
  try {
    // Resolved from the working directory, as the server's own import of PGlite is.
    await promisify(execFile)(process.execPath, ["--input-type=module", "--eval", INITDB_SCRIPT, staging], {
      cwd: process.cwd(),
      timeout: 120_000,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`Could not create the database in ${pgDir}: ${error.stderr?.trim() || error.message}`, { cause: error });
    });
    // An empty folder may stand in the way (made by hand, or by an older version); anything else is kept.
    await rmdir(pgDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw new Error(`${pgDir} exists but holds no database: move it away and start again.`, { cause: error });
    });
    await rename(staging, pgDir).catch(async (error: unknown) => {
      // Another process finished first: its database is as good as ours.
      if (!(await hasDatabase(pgDir))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function hasDatabase(pgDir: string): Promise<boolean> {
  return stat(path.join(pgDir, "PG_VERSION")).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
}

export const MIGRATIONS_DIR = path.join(process.cwd(), "supabase", "migrations");

/**
 * What a Supabase project's database is after `supabase db push`: the
 * bootstrap (what Supabase itself provides), then every migration in `dir` not
 * yet recorded. Local mode and the tests' Supabase emulator both start here.
 */
export async function prepareSupabaseDatabase(db: PGlite, dir: string = MIGRATIONS_DIR): Promise<void> {
  await bootstrap(db);
  await applyMigrations(db, dir);
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
 * Becomes `identity` until the transaction ends, in one statement, as PostgREST
 * does it: set_config('role', …, true) is `set local role`. Its parameters are
 * identitySettings(identity).
 */
export const SET_IDENTITY_SQL =
  "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)";

/** The API role PostgREST would use for `identity`, its JWT claims, and its user id (or ""). */
export function identitySettings(identity: DbIdentity): [role: string, claims: string, sub: string] {
  if (identity.kind === "service") return ["service_role", JSON.stringify({ role: "service_role" }), ""];
  const { id, email } = identity.user;
  return ["authenticated", JSON.stringify({ sub: id, email, role: "authenticated", aud: "authenticated" }), id];
}

/**
 * Runs `fn` in a transaction as the API role PostgREST would use, with the same
 * JWT claims, so the migrations' row-level security decides what it may touch.
 * PGlite's own user is a superuser that bypasses RLS: app queries never run as
 * it. `set local` ends with the transaction, so nothing leaks to the next one.
 * A single statement costs less through queryAs (lib/local/query-as.ts).
 */
export async function withIdentity<T>(
  db: PGlite,
  identity: DbIdentity,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(SET_IDENTITY_SQL, identitySettings(identity));
    return fn(tx);
  });
}
