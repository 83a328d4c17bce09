import { randomUUID } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";
import type { Gate, Identity } from "@/tests/msw/supabase-handlers";
import { DELETED_OUTPUTS_COLUMN, DELETED_OUTPUTS_DEFAULT, markDeletedOutputs, refuseDeletedOutput } from "@/tests/msw/supabase-limits-and-deletions"; // [20261203 emulator]

/**
 * PostgREST for public.predictions, public.sdxl_images, public.input_images and public.prediction_inputs, enough of it for the
 * adapter's queries: select/eq/gte/lt/in/or/order/limit, insert and upsert with
 * on_conflict, update, delete, Prefer (return, resolution, count) and the
 * single-object Accept header. Rows live in memory and the migration's rules
 * are enforced: column privileges, row-level security from the JWT's sub,
 * foreign keys, unique and check constraints, with PostgREST's error shapes.
 */

export type Row = Record<string, unknown>;
type ColumnType = "text" | "uuid" | "timestamptz" | "int" | "float" | "jsonb";

const SCHEMA: Record<string, Record<string, ColumnType>> = {
  predictions: {
    id: "text", user_id: "uuid", model: "text", model_name: "text", model_key: "text", input: "jsonb", seed: "int", output_count: "int",
    status: "text", error: "text", created_at: "timestamptz", started_at: "timestamptz", completed_at: "timestamptz",
    progress: "float", logs_length: "int", output: "jsonb", heard_at: "timestamptz", next_read_at: "timestamptz",
    [DELETED_OUTPUTS_COLUMN]: "jsonb", // [20261203 emulator]
  },
  webhook_inbox: { webhook_id: "text", prediction_id: "text", body: "jsonb", received_at: "timestamptz" },
  sdxl_images: {
    id: "uuid", user_id: "uuid", prediction_id: "text", output_index: "int", prompt: "text", input: "jsonb", model: "text", model_name: "text",
    seed: "int", storage_path: "text", content_type: "text", bytes: "int", width: "int", height: "int", created_at: "timestamptz",
  },
  input_images: {
    id: "uuid", user_id: "uuid", storage_path: "text", status: "text", content_type: "text", bytes: "int", width: "int", height: "int",
    created_at: "timestamptz", last_used_at: "timestamptz",
  },
  prediction_inputs: { prediction_id: "text", name: "text", input_id: "uuid", user_id: "uuid" },
};

export type TableName = "predictions" | "sdxl_images" | "input_images" | "prediction_inputs" | "webhook_inbox";

// Columns the migrations let be null, and the defaults they give.
const NULLABLE = new Set(["error", "completed_at", "started_at", "model_key", "seed", "last_used_at", "progress", "heard_at", "next_read_at"]);
const NULLABLE_IN: Record<string, Set<string>> = { input_images: new Set(["bytes", "width", "height"]) };
const DEFAULTS: Record<string, Record<string, unknown>> = {
  predictions: { output_count: 1, logs_length: 0, [DELETED_OUTPUTS_COLUMN]: DELETED_OUTPUTS_DEFAULT }, // [20261203 emulator]: deleted_outputs
  sdxl_images: { output_index: 0 },
  input_images: { status: "pending" },
  prediction_inputs: {},
  webhook_inbox: {},
};

// What `authenticated` was granted in the migration; anon has nothing.
const GRANTS = {
  predictions: {
    select: true, delete: false,
    insert: ["id", "user_id", "model", "input", "status", "model_name", "model_key", "seed", "output_count"],
    update: ["status", "error", "completed_at", "seed", "started_at", "progress", "logs_length", "heard_at", "next_read_at"],
  },
  // Service role only: no grant to authenticated at all.
  webhook_inbox: { select: false, delete: false, insert: [] as string[], update: [] as string[] },
  sdxl_images: {
    select: true, delete: true, update: [] as string[],
    insert: [
      "user_id", "prediction_id", "prompt", "input", "model", "storage_path", "content_type", "bytes", "width", "height",
      "output_index", "model_name", "seed",
    ],
  },
  input_images: {
    select: true, delete: true,
    insert: ["id", "user_id", "storage_path", "content_type"],
    update: ["status", "content_type", "bytes", "width", "height", "last_used_at"],
  },
  prediction_inputs: { select: true, delete: false, insert: ["prediction_id", "name", "input_id", "user_id"], update: [] as string[] },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES = ["starting", "processing", "succeeded", "failed", "canceled", "aborted"];
const RESERVED = new Set(["select", "order", "limit", "offset", "on_conflict", "columns"]);

export class PgError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: string | null = null) {
    super(message);
  }
  response() {
    return HttpResponse.json({ code: this.code, details: this.details, hint: null, message: this.message }, { status: this.status });
  }
}

let micro = 0;
/** now() with microseconds, as Postgres stores it; the last three digits keep rows made in one millisecond apart. */
export function pgNow(): string {
  micro = (micro + 1) % 1000;
  return `${new Date().toISOString().slice(0, 23)}${String(micro).padStart(3, "0")}Z`;
}

/** Any accepted timestamp as canonical UTC with six fractional digits (sortable as text). */
export function canonicalTimestamp(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(value);
  const instant = match && new Date(`${match[1]}T${match[2]}${match[4] === "Z" ? "Z" : match[4].length === 3 ? `${match[4]}:00` : match[4]}`);
  if (!match || !instant || Number.isNaN(instant.getTime())) {
    throw new PgError(400, "22007", `invalid input syntax for type timestamp with time zone: "${value}"`);
  }
  return `${instant.toISOString().slice(0, 19)}.${(match[3] ?? "").padEnd(6, "0")}Z`;
}

/** How PostgREST prints a timestamptz: `+00:00`, fraction without trailing zeros. */
function printTimestamp(canonical: string): string {
  const [seconds, fraction] = canonical.slice(0, -1).split(".");
  const trimmed = fraction.replace(/0+$/, "");
  return `${seconds}${trimmed ? `.${trimmed}` : ""}+00:00`;
}

function coerce(table: string, column: string, value: unknown): unknown {
  const type = SCHEMA[table][column];
  if (!type) throw new PgError(400, "42703", `column ${table}.${column} does not exist`);
  if (value === null || value === undefined) return null;
  if (type === "uuid") {
    if (typeof value !== "string" || !UUID.test(value)) throw new PgError(400, "22P02", `invalid input syntax for type uuid: "${String(value)}"`);
    return value.toLowerCase();
  }
  if (type === "timestamptz") return canonicalTimestamp(String(value));
  if (type === "int") {
    const number = Number(value);
    if (!Number.isInteger(number)) throw new PgError(400, "22P02", `invalid input syntax for type integer: "${String(value)}"`);
    return number;
  }
  if (type === "float") {
    const number = Number(value);
    if (!Number.isFinite(number)) throw new PgError(400, "22P02", `invalid input syntax for type double precision: "${String(value)}"`);
    return number;
  }
  return type === "jsonb" ? value : String(value);
}

type Filter = (row: Row) => boolean;

function compileCondition(table: string, column: string, operator: string, raw: string): Filter {
  const value = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (operator === "in") {
    const list = value.replace(/^\(|\)$/g, "").split(",").map((item) => coerce(table, column, item.replace(/^"|"$/g, "")));
    return (row) => list.includes(row[column]);
  }
  if (operator === "is") return (row) => (value === "null" ? row[column] === null : row[column] === (value === "true"));
  const target = coerce(table, column, value) as string | number;
  const compare = (row: Row) => {
    const cell = row[column] as string | number | null;
    return cell === null ? null : cell < target ? -1 : cell > target ? 1 : 0;
  };
  const tests: Record<string, (c: number) => boolean> = {
    eq: (c) => c === 0, neq: (c) => c !== 0, lt: (c) => c < 0, lte: (c) => c <= 0, gt: (c) => c > 0, gte: (c) => c >= 0,
  };
  const test = tests[operator];
  if (!test) throw new PgError(400, "PGRST100", `unknown operator ${operator}`);
  return (row) => {
    const c = compare(row);
    return c !== null && test(c);
  };
}

/** Splits on top-level commas, respecting parentheses and double quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === "(") depth++;
    if (!quoted && char === ")") depth--;
    if (!quoted && depth === 0 && char === ",") {
      parts.push(current);
      current = "";
    } else current += char;
  }
  return [...parts, current];
}

/** `or=(a.lt.x,and(b.eq.y,c.lt.z))` and friends. */
function compileTree(table: string, kind: "or" | "and", inner: string): Filter {
  const filters = splitTopLevel(inner).map((item) => {
    const nested = /^(and|or)\((.*)\)$/.exec(item);
    if (nested) return compileTree(table, nested[1] as "and" | "or", nested[2]);
    const [column, operator, ...rest] = item.split(".");
    return compileCondition(table, column, operator, rest.join("."));
  });
  return kind === "or" ? (row) => filters.some((f) => f(row)) : (row) => filters.every((f) => f(row));
}

function compileFilters(table: string, params: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  for (const [key, value] of params) {
    if (RESERVED.has(key)) continue;
    if (key === "or" || key === "and") filters.push(compileTree(table, key, value.replace(/^\(|\)$/g, "")));
    else {
      const [operator, ...rest] = value.split(".");
      filters.push(compileCondition(table, key, operator, rest.join(".")));
    }
  }
  return filters;
}

function project(table: string, row: Row, select: string | null): Row {
  const columns = !select || select === "*" ? Object.keys(SCHEMA[table]) : select.split(",");
  const out: Row = {};
  for (const column of columns) {
    if (!(column in SCHEMA[table])) throw new PgError(400, "42703", `column ${table}.${column} does not exist`);
    const value = row[column];
    out[column] = SCHEMA[table][column] === "timestamptz" && typeof value === "string" ? printTimestamp(value) : value;
  }
  return out;
}

function denied(identity: Identity, table: string): PgError {
  return new PgError(identity.role === "anon" ? 401 : 403, "42501", `permission denied for table ${table}`);
}

export function createRestHandlers({ url, gate, tables, userExists }: {
  url: string;
  gate: Gate;
  tables: Record<TableName, Row[]>;
  userExists: (id: string) => boolean;
}): HttpHandler[] {
  const visible = (identity: Identity, row: Row) => identity.role === "service_role" || (identity.role === "authenticated" && row.user_id === identity.sub);

  function checkConstraints(table: TableName, row: Row, ignoreDuplicates: boolean, onConflict: string | null): "skip" | void {
    for (const [column, type] of Object.entries(SCHEMA[table])) {
      const nullable = NULLABLE.has(column) || (NULLABLE_IN[table]?.has(column) ?? false);
      if (row[column] === null && !nullable && type !== "jsonb") throw new PgError(400, "23502", `null value in column "${column}" of relation "${table}" violates not-null constraint`);
    }
    if (table === "webhook_inbox") {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(row.prediction_id as string)) throw new PgError(400, "23514", 'new row for relation "webhook_inbox" violates check constraint');
      if (tables.webhook_inbox.some((other) => other.webhook_id === row.webhook_id)) {
        if (ignoreDuplicates && onConflict === "webhook_id") return "skip";
        throw new PgError(409, "23505", 'duplicate key value violates unique constraint "webhook_inbox_pkey"');
      }
      return;
    }
    if (!userExists(row.user_id as string)) throw new PgError(409, "23503", `insert or update on table "${table}" violates foreign key constraint "${table}_user_id_fkey"`);
    if (table === "predictions") {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(row.id as string) || !STATUSES.includes(row.status as string)) {
        throw new PgError(400, "23514", `new row for relation "predictions" violates check constraint`);
      }
      if (tables.predictions.some((other) => other.id === row.id)) throw new PgError(409, "23505", 'duplicate key value violates unique constraint "predictions_pkey"', `Key (id)=(${row.id}) already exists.`);
      return;
    }
    if (table === "input_images") {
      // The migration's checks: the path is the one the id and owner make, the type an image's.
      const path = new RegExp(`^${row.user_id}/inputs/${row.id}\\.(png|jpg|webp)$`);
      if (!path.test(String(row.storage_path)) || !["image/png", "image/jpeg", "image/webp"].includes(row.content_type as string)) {
        throw new PgError(400, "23514", 'new row for relation "input_images" violates check constraint');
      }
      if (tables.input_images.some((other) => other.id === row.id)) throw new PgError(409, "23505", 'duplicate key value violates unique constraint "input_images_pkey"');
      return;
    }
    if (table === "prediction_inputs") {
      const prediction = tables.predictions.find((p) => p.id === row.prediction_id && p.user_id === row.user_id);
      if (!prediction || !tables.input_images.some((i) => i.id === row.input_id)) {
        throw new PgError(409, "23503", 'insert or update on table "prediction_inputs" violates foreign key constraint');
      }
      if (tables.prediction_inputs.some((other) => other.prediction_id === row.prediction_id && other.name === row.name)) {
        throw new PgError(409, "23505", 'duplicate key value violates unique constraint "prediction_inputs_pkey"');
      }
      return;
    }
    const prediction = tables.predictions.find((p) => p.id === row.prediction_id);
    if (!prediction) throw new PgError(409, "23503", 'insert or update on table "sdxl_images" violates foreign key constraint "sdxl_images_prediction_id_fkey"');
    if (prediction.user_id !== row.user_id) throw new PgError(409, "23503", 'insert or update on table "sdxl_images" violates foreign key constraint "sdxl_images_prediction_id_user_id_fkey"');
    if (!["image/png", "image/jpeg", "image/webp"].includes(row.content_type as string) || !((row.bytes as number) > 0) || !String(row.storage_path).startsWith(`${row.user_id}/`)) {
      throw new PgError(400, "23514", 'new row for relation "sdxl_images" violates check constraint');
    }
    if (tables.sdxl_images.some((other) => other.prediction_id === row.prediction_id && other.output_index === row.output_index)) {
      if (ignoreDuplicates && onConflict === "prediction_id,output_index") return "skip";
      throw new PgError(409, "23505", 'duplicate key value violates unique constraint "sdxl_images_prediction_id_output_index_key"');
    }
    if (tables.sdxl_images.some((other) => other.storage_path === row.storage_path)) throw new PgError(409, "23505", 'duplicate key value violates unique constraint "sdxl_images_storage_path_key"');
  }

  async function handle(request: Request, requested: string): Promise<Response> {
    if (!(requested in SCHEMA)) {
      return new PgError(404, "PGRST205", `Could not find the table 'public.${requested}' in the schema cache`).response();
    }
    const table = requested as TableName;
    const identity = await gate.identify(request, "rest");
    if (identity instanceof Response) return identity;
    const params = new URL(request.url).searchParams;
    const prefer = (request.headers.get("prefer") ?? "").split(",").map((p) => p.trim());
    const grants = GRANTS[table];
    const isUser = identity.role !== "service_role";
    const representation = prefer.includes("return=representation");
    const method = request.method;

    if (identity.role === "anon" || (isUser && !grants.select)) throw denied(identity, table);
    let result: Row[];
    if (method === "GET" || method === "HEAD") {
      const filters = compileFilters(table, params);
      result = tables[table].filter((row) => visible(identity, row) && filters.every((f) => f(row)));
      for (const key of [...(params.get("order") ?? "").split(",")].filter(Boolean).reverse()) {
        const [column, direction] = key.split(".");
        result = [...result].sort((a, b) => ((a[column] as string) < (b[column] as string) ? -1 : (a[column] as string) > (b[column] as string) ? 1 : 0) * (direction === "desc" ? -1 : 1));
      }
      const total = result.length;
      if (params.has("limit")) result = result.slice(0, Number(params.get("limit")));
      const headers: Record<string, string> = {};
      if (prefer.includes("count=exact")) headers["content-range"] = result.length ? `0-${result.length - 1}/${total}` : `*/${total}`;
      if (method === "HEAD") return new HttpResponse(null, { status: 200, headers });
      return respond(table, request, params, result, 200, headers);
    }

    const body = method === "DELETE" ? null : ((await request.json()) as Row | Row[]);
    if (method === "POST") {
      const values = Array.isArray(body) ? body : [body as Row];
      const inserted: Row[] = [];
      for (const value of values) {
        if (isUser && Object.keys(value).some((column) => !(grants.insert as readonly string[]).includes(column))) throw denied(identity, table);
        const row: Row = {};
        for (const column of Object.keys(SCHEMA[table])) row[column] = coerce(table, column, value[column] ?? DEFAULTS[table][column]);
        row.created_at = pgNow();
        if (table === "sdxl_images") row.id = randomUUID();
        if (table === "webhook_inbox") {
          delete row.created_at;
          row.received_at = pgNow();
        }
        // Row-level security is checked before constraints, even for ON CONFLICT DO NOTHING.
        const sub = identity.role === "authenticated" ? identity.sub : null;
        const ownPrediction =
          table === "predictions" || table === "input_images" || tables.predictions.some((p) => p.id === row.prediction_id && p.user_id === sub);
        const ownInput = table !== "prediction_inputs" || tables.input_images.some((i) => i.id === row.input_id && i.user_id === sub);
        if (isUser && (row.user_id !== sub || !ownPrediction || !ownInput)) {
          throw new PgError(403, "42501", `new row violates row-level security policy for table "${table}"`);
        }
        if (table === "sdxl_images") refuseDeletedOutput(tables.predictions, row); // [20261203 emulator]
        if (checkConstraints(table, row, prefer.includes("resolution=ignore-duplicates"), params.get("on_conflict")) === "skip") continue;
        tables[table].push(row);
        inserted.push(row);
      }
      return representation ? respond(table, request, params, inserted, 201) : new HttpResponse(null, { status: 201 });
    }

    const filters = compileFilters(table, params);
    const targets = tables[table].filter((row) => visible(identity, row) && filters.every((f) => f(row)));
    if (method === "PATCH") {
      const changes = body as Row;
      if (isUser && Object.keys(changes).some((column) => !(grants.update as readonly string[]).includes(column))) throw denied(identity, table);
      for (const row of targets) for (const [column, value] of Object.entries(changes)) row[column] = coerce(table, column, value);
    } else if (method === "DELETE") {
      if (isUser && !grants.delete) throw denied(identity, table);
      if (table === "sdxl_images") markDeletedOutputs(tables.predictions, targets); // [20261203 emulator]
      tables[table] = tables[table].filter((row) => !targets.includes(row));
    } else return new PgError(405, "PGRST117", `Unsupported HTTP method: ${method}`).response();
    return representation ? respond(table, request, params, targets, 200) : new HttpResponse(null, { status: 204 });
  }

  function respond(table: string, request: Request, params: URLSearchParams, rows: Row[], status: number, headers: Record<string, string> = {}) {
    const projected = rows.map((row) => project(table, row, params.get("select")));
    if ((request.headers.get("accept") ?? "").includes("application/vnd.pgrst.object+json")) {
      if (projected.length !== 1) {
        return new PgError(406, "PGRST116", "Cannot coerce the result to a single JSON object", `The result contains ${projected.length} rows`).response();
      }
      return HttpResponse.json(projected[0], { status, headers });
    }
    return HttpResponse.json(projected, { status, headers });
  }

  return [
    http.all(`${url}/rest/v1/:table`, async ({ request, params }) => {
      const failed = await gate.enter("rest", request);
      if (failed) return failed;
      try {
        return await handle(request, String(params.table));
      } catch (error) {
        if (error instanceof PgError) return error.response();
        throw error;
      }
    }),
  ];
}
