import type { PGlite, Transaction } from "@electric-sql/pglite";
import { http, HttpResponse, type HttpHandler } from "msw";
import { asRole, ident, type Claims } from "@/tests/msw/emulator-database";
import {
  ApiError, columnRef, orderClause, pageClause, Params, qualified, selectList, splitTopLevel, whereClause, type TableInfo,
} from "@/tests/msw/postgrest-query";
import type { Gate, Identity } from "@/tests/msw/supabase-handlers";

/**
 * PostgREST in front of the emulated project's PGlite. Each request becomes
 * SQL shaped like PostgREST's own (a `pgrst_source` CTE, json_agg for the
 * body) and runs in one transaction as the request's role with its JWT
 * claims, so every rule is the migrations': grants, row-level security,
 * defaults, constraints, triggers, functions. Nothing here knows a table.
 * Errors map as src/PostgREST/Error.hs (`pgErrorStatus`) does, with its
 * `{ code, details, hint, message }` body.
 */

export const claimsOf = (identity: Identity): Claims =>
  identity.role === "authenticated" ? { ...identity.claims, role: "authenticated" } : { role: identity.role };

/** PostgREST's `pgErrorStatus`: SQLSTATE → HTTP status (docs/errors.rst, "HTTP Status Codes"). */
export function statusOf(code: string, authenticated: boolean): number {
  const exact: Record<string, number> = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, P0001: 400, "42883": 404, "42P01": 404, "42P17": 500,
    "42501": authenticated ? 403 : 401,
  };
  if (code in exact) return exact[code];
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const prefixes: Array<[string, number]> = [
    ["08", 503], ["09", 500], ["0L", 403], ["0P", 403], ["25", 500], ["28", 403], ["2D", 500], ["38", 500], ["39", 500], ["3B", 500],
    ["40", 500], ["53", 503], ["54", 500], ["55", 500], ["57", 500], ["58", 500], ["F0", 500], ["HV", 500], ["P0", 500], ["XX", 500],
  ];
  return prefixes.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 400;
}

type PgFailure = { code?: string; message: string; detail?: string; hint?: string };
const isPgFailure = (error: unknown): error is PgFailure =>
  error instanceof Error && typeof (error as PgFailure).code === "string" && (error as PgFailure).code!.length === 5;

function failure(error: unknown, identity: Identity): Response {
  if (error instanceof ApiError) return HttpResponse.json(error.body(), { status: error.status });
  if (isPgFailure(error)) {
    const body = { code: error.code, details: error.detail ?? null, hint: error.hint ?? null, message: error.message };
    return HttpResponse.json(body, { status: statusOf(error.code!, identity.role !== "anon") });
  }
  throw error;
}

/** Columns of a table or view in `public`, from the catalog (PostgREST's schema cache, read per project). */
async function tableInfo(db: PGlite, cache: Map<string, TableInfo | null>, name: string): Promise<TableInfo | null> {
  if (!cache.has(name)) {
    const { rows } = await db.query<{ column: string; type: string }>(
      `select a.attname as column, format_type(a.atttypid, a.atttypmod) as type
         from pg_class c join pg_attribute a on a.attrelid = c.oid
        where c.relnamespace = 'public'::regnamespace and c.relname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f')
          and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      [name],
    );
    cache.set(name, rows.length ? { schema: "public", name, columns: new Map(rows.map((row) => [row.column, row.type])) } : null);
  }
  return cache.get(name)!;
}

const SINGULAR = "application/vnd.pgrst.object+json";

export function createPostgrestHandlers({ url, gate, database }: { url: string; gate: Gate; database: () => Promise<PGlite> }): HttpHandler[] {
  const cache = new Map<string, TableInfo | null>();

  async function table(request: Request, name: string): Promise<Response> {
    const identity = await gate.identify(request, "rest");
    if (identity instanceof Response) return identity;
    try {
      const db = await database();
      const info = await tableInfo(db, cache, name);
      if (!info) throw new ApiError(404, "PGRST205", `Could not find the table 'public.${name}' in the schema cache`);
      return await asRole(db, claimsOf(identity), (tx) => runTableRequest(tx, info, request));
    } catch (error) {
      return failure(error, identity);
    }
  }

  async function rpc(request: Request, name: string): Promise<Response> {
    const identity = await gate.identify(request, "rest");
    if (identity instanceof Response) return identity;
    try {
      const db = await database();
      const args = await jsonBody(request, {});
      if (typeof args !== "object" || args === null || Array.isArray(args)) throw new ApiError(400, "PGRST102", "Empty or invalid json");
      const fn = await findFunction(db, name, Object.keys(args));
      return await asRole(db, claimsOf(identity), (tx) => callFunction(tx, fn, args as Record<string, unknown>));
    } catch (error) {
      return failure(error, identity);
    }
  }

  return [
    http.post(`${url}/rest/v1/rpc/:fn`, async ({ request, params }) => (await gate.enter("rest.rpc", request)) ?? rpc(request, String(params.fn))),
    http.all(`${url}/rest/v1/:table`, async ({ request, params }) => (await gate.enter("rest", request)) ?? table(request, String(params.table))),
  ];
}

async function jsonBody(request: Request, empty: unknown): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return empty;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "PGRST102", "Empty or invalid json");
  }
}

function preferences(request: Request) {
  const prefer = (request.headers.get("prefer") ?? "").split(",").map((item) => item.trim());
  return {
    representation: prefer.includes("return=representation"),
    count: prefer.includes("count=exact"),
    resolution: prefer.find((item) => item.startsWith("resolution="))?.slice("resolution=".length) ?? null,
  };
}

/** The body's columns: `?columns=` if given (supabase-js sends it for arrays), else every key of every row. */
function payloadColumns(info: TableInfo, rows: Array<Record<string, unknown>>, columnsParam: string | null): string[] {
  const names = columnsParam
    ? splitTopLevel(columnsParam).map((name) => name.trim().replace(/^"|"$/g, ""))
    : [...new Set(rows.flatMap((row) => Object.keys(row)))];
  for (const name of names) {
    if (!info.columns.has(name)) throw new ApiError(400, "PGRST204", `Could not find the '${name}' column of '${info.name}' in the schema cache`);
  }
  return names;
}

async function runTableRequest(tx: Transaction, info: TableInfo, request: Request): Promise<Response> {
  const query = new URL(request.url).searchParams;
  const prefs = preferences(request);
  const singular = (request.headers.get("accept") ?? "").includes(SINGULAR);
  const params = new Params();
  const target = qualified(info);
  const method = request.method;

  if (method === "GET" || method === "HEAD") {
    const where = whereClause(info, query, params);
    const sql = `select coalesce(json_agg(_postgrest_t), '[]')::text as body, count(_postgrest_t)::int as page_total
      from (select ${selectList(info, query.get("select"))} from ${target} where ${where} ${orderClause(info, query.get("order"))} ${pageClause(query, params)}) _postgrest_t`;
    const { rows } = await tx.query<{ body: string; page_total: number }>(sql, params.values);
    let total: number | null = null;
    if (prefs.count) {
      const counted = new Params();
      const countWhere = whereClause(info, query, counted);
      total = (await tx.query<{ n: number }>(`select count(*)::int as n from ${target} where ${countWhere}`, counted.values)).rows[0].n;
    }
    const offset = Number(query.get("offset") ?? 0);
    const count = rows[0].page_total;
    const range = `${count ? `${offset}-${offset + count - 1}` : "*"}/${total ?? "*"}`;
    return respond(rows[0], { status: 200, singular, headers: { "content-range": range }, head: method === "HEAD" });
  }

  let mutation: string;
  if (method === "POST") {
    const body = await jsonBody(request, null);
    const rows = (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>;
    if (rows.some((row) => typeof row !== "object" || row === null || Array.isArray(row))) throw new ApiError(400, "PGRST102", "Empty or invalid json");
    const columns = payloadColumns(info, rows, query.get("columns"));
    const list = columns.map(ident).join(", ");
    let conflict = "";
    if (prefs.resolution === "merge-duplicates" || prefs.resolution === "ignore-duplicates") {
      const onConflict = query.get("on_conflict");
      const keys = onConflict ? splitTopLevel(onConflict).map((column) => conflictColumn(info, column.trim())) : await primaryKey(tx, info);
      const updates = columns.map((column) => `${ident(column)} = excluded.${ident(column)}`).join(", ");
      conflict = prefs.resolution === "ignore-duplicates" || !updates ? `on conflict (${keys.join(", ")}) do nothing` : `on conflict (${keys.join(", ")}) do update set ${updates}`;
    }
    mutation = columns.length
      ? `insert into ${target} (${list}) select ${list} from json_populate_recordset(null::${target}, ${params.add(JSON.stringify(rows))}::json) _ ${conflict}`
      : `insert into ${target} default values`;
  } else if (method === "PATCH") {
    const body = await jsonBody(request, {});
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(400, "PGRST102", "Empty or invalid json");
    const columns = payloadColumns(info, [body as Record<string, unknown>], null);
    if (!columns.length) return respond({ body: "[]", page_total: 0 }, { status: prefs.representation ? 200 : 204, singular, headers: {}, head: !prefs.representation });
    const sets = columns.map((column) => `${ident(column)} = _pgrst_body.${ident(column)}`).join(", ");
    const bodyParam = params.add(JSON.stringify(body));
    mutation = `update ${target} set ${sets} from (select * from json_populate_record(null::${target}, ${bodyParam}::json)) _pgrst_body where ${whereClause(info, query, params)}`;
  } else if (method === "DELETE") {
    mutation = `delete from ${target} where ${whereClause(info, query, params)}`;
  } else {
    throw new ApiError(405, "PGRST117", `Unsupported HTTP method: ${method}`);
  }

  // As PostgREST: RETURNING the selected columns only when the caller wants them
  // (which is what makes Postgres apply SELECT privileges and policies), else `1`.
  const returning = prefs.representation ? selectList(info, query.get("select")) : "1";
  const sql = `with pgrst_source as (${mutation} returning ${returning})
    select ${prefs.representation ? "coalesce(json_agg(_postgrest_t), '[]')::text" : "'[]'"} as body, count(_postgrest_t)::int as page_total
    from (select * from pgrst_source) _postgrest_t`;
  const { rows } = await tx.query<{ body: string; page_total: number }>(sql, params.values);
  const status = method === "POST" ? 201 : prefs.representation ? 200 : 204;
  return respond(rows[0], { status, singular, headers: prefs.count ? { "content-range": `*/${rows[0].page_total}` } : {}, head: !prefs.representation });
}

function conflictColumn(info: TableInfo, column: string): string {
  columnRef(info, column);
  return ident(column);
}

async function primaryKey(tx: Transaction, info: TableInfo): Promise<string[]> {
  const { rows } = await tx.query<{ column: string }>(
    `select a.attname as column from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = $1::regclass and i.indisprimary`,
    [qualified(info)],
  );
  return rows.map((row) => ident(row.column));
}

/**
 * The body, or PostgREST's singular-object answer. A single object requested
 * with 0 or 2+ rows is a 406, and the transaction is rolled back (thrown), as
 * PostgREST does for mutations too.
 */
function respond(
  result: { body: string; page_total: number },
  { status, singular, headers, head }: { status: number; singular: boolean; headers: Record<string, string>; head: boolean },
): Response {
  if (singular && !head) {
    if (result.page_total !== 1) {
      throw new ApiError(406, "PGRST116", "Cannot coerce the result to a single JSON object", `The result contains ${result.page_total} rows`);
    }
    const [object] = JSON.parse(result.body) as unknown[];
    return HttpResponse.json(object as object, { status, headers });
  }
  if (head) return new HttpResponse(null, { status, headers });
  return new HttpResponse(result.body, { status, headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
}

type FunctionInfo = { name: string; args: Array<{ name: string; type: string }>; set: boolean; returns: string; required: number };

/** The function `public.<name>` whose named arguments fit the body's keys (PostgREST's overload choice). */
async function findFunction(db: PGlite, name: string, keys: string[]): Promise<FunctionInfo> {
  const { rows } = await db.query<{ args: Array<{ name: string | null; type: string }>; set: boolean; returns: string; defaults: number }>(
    `select p.proretset as set, format_type(p.prorettype, null) as returns, p.pronargdefaults as defaults,
            coalesce((select json_agg(json_build_object('name', a.name, 'type', format_type(a.type, null)) order by a.ord)
                        from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames, p.proargmodes) with ordinality a(type, name, mode, ord)
                       where coalesce(a.mode, 'i') in ('i', 'b', 'v')), '[]') as args
       from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = $1`,
    [name],
  );
  const fits = rows.find((row) => {
    const names = row.args.map((arg) => arg.name);
    const required = names.slice(0, names.length - row.defaults);
    return keys.every((key) => names.includes(key)) && required.every((arg) => arg !== null && keys.includes(arg));
  });
  if (!fits) {
    throw new ApiError(
      404, "PGRST202", `Could not find the function public.${name}(${[...keys].sort().join(", ")}) in the schema cache`, null,
      "If a new function was created in the database with this name and parameters, try reloading the schema cache.",
    );
  }
  return { name, args: fits.args as FunctionInfo["args"], set: fits.set, returns: fits.returns, required: fits.args.length - fits.defaults };
}

/** `select fn(a => _.a, …) from json_to_record($1) as _(a type, …)`, as PostgREST calls it; the answer shaped by the return type. */
async function callFunction(tx: Transaction, fn: FunctionInfo, args: Record<string, unknown>): Promise<Response> {
  const given = fn.args.filter((arg) => arg.name in args);
  const call = `public.${ident(fn.name)}(${given.map((arg) => `${ident(arg.name)} => _pgrst_args.${ident(arg.name)}`).join(", ")})`;
  const source = given.length
    ? `json_to_record($1::json) as _pgrst_args(${given.map((arg) => `${ident(arg.name)} ${arg.type}`).join(", ")})`
    : "(select) _pgrst_args";
  const params = given.length ? [JSON.stringify(args)] : [];
  if (fn.returns === "void") {
    await tx.query(`select ${call} from ${source}`, params);
    return new HttpResponse(null, { status: 204 });
  }
  const sql = fn.set
    ? `select coalesce(json_agg(_pgrst_t), '[]')::text as body from ${source}, lateral ${call} _pgrst_t`
    : `select to_json(${call})::text as body from ${source}`;
  const { rows } = await tx.query<{ body: string }>(sql, params);
  return new HttpResponse(rows[0].body, { status: 200, headers: { "content-type": "application/json; charset=utf-8" } });
}
