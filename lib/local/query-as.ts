import "server-only";

import { parse, protocol, type PGlite, type Results } from "@electric-sql/pglite";
import { identitySettings, SET_IDENTITY_SQL, type DbIdentity } from "@/lib/local/database";

/**
 * One statement as `identity`, under row-level security, exactly as
 * withIdentity runs it (the role and JWT claims set local to a transaction),
 * in one exchange with the database instead of sixteen.
 *
 * Why: PGlite's query() sends each protocol message (parse, describe, bind,
 * describe, execute, sync) as its own call into Postgres, and a transaction
 * adds BEGIN and COMMIT, so one read under withIdentity costs sixteen calls,
 * over a millisecond of CPU; the poll route makes one on every request. Here both
 * statements go as one extended-protocol pipeline ending in a single Sync.
 * Postgres runs everything before a Sync as one implicit transaction, so
 * `set_config(…, true)` holds for the statement and ends with it, as `set
 * local` does in withIdentity (tests/integration/query-as.test.ts checks that
 * nothing leaks).
 *
 * It holds PGlite's transaction lock, as db.transaction() does, so it never
 * runs inside another caller's open transaction. That lock is PGlite's
 * `_runExclusiveTransaction` (typed on the PGlite class, pinned at 0.5.16 in
 * package.json): `runExclusive`, the public one, takes only the query lock,
 * which another caller's transaction does not hold between its statements.
 *
 * `sql` is prepared once per database and kept: pass the code's own fixed
 * statements, with every value as a parameter, never SQL built per call.
 */
export async function queryAs<T>(db: PGlite, identity: DbIdentity, sql: string, params: readonly unknown[] = []): Promise<Results<T>> {
  const { serialize } = protocol;
  return db._runExclusiveTransaction(() =>
    db.runExclusive(async () => {
      const setIdentity = await preparedName(db, SET_IDENTITY_SQL);
      const statement = await preparedName(db, sql);
      const message = concat([
        serialize.bind({ statement: setIdentity, values: identitySettings(identity) }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.bind({ statement, values: params.map(toText) }),
        serialize.describe({ type: "P" }),
        serialize.execute({}),
        serialize.sync(),
      ]);
      const { messages } = await db.execProtocol(message);
      // One result per statement; the last is the caller's.
      return parse.parseResults(messages, db.parsers).at(-1) as Results<T>;
    }),
  );
}

// Statements are parsed and planned once per database, then only bound: the
// parse is most of what a small query costs. Named prepared statements live
// as long as the PGlite instance, hence the WeakMap.
const preparedByDatabase = new WeakMap<PGlite, Map<string, string>>();

/** The name of `sql` prepared on `db`, preparing it on its own first (so a bad statement leaves nothing half-made). */
async function preparedName(db: PGlite, sql: string): Promise<string> {
  let prepared = preparedByDatabase.get(db);
  if (!prepared) preparedByDatabase.set(db, (prepared = new Map()));
  const known = prepared.get(sql);
  if (known) return known;
  const name = `sdxl_query_as_${prepared.size + 1}`;
  await db.execProtocol(concat([protocol.serialize.parse({ name, text: sql }), protocol.serialize.sync()]));
  prepared.set(sql, name);
  return name;
}

/**
 * A parameter in Postgres's text input form, as query() sends it for the
 * types the row store passes: numbers, booleans, strings (JSON goes as text,
 * cast in the SQL) and arrays of strings (for `text[]`).
 */
function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    return `{${value.map((item) => `"${item.replace(/["\\]/g, "\\$&")}"`).join(",")}}`;
  }
  throw new TypeError("queryAs takes numbers, booleans, strings and arrays of strings; pass JSON as text.");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}
