import { ident } from "@/tests/msw/emulator-database";

/**
 * PostgREST's URL grammar (docs: api.rst "Horizontal Filtering", "Vertical
 * Filtering", "Ordering") turned into SQL fragments. Identifiers are always
 * quoted and checked against the table's columns; values only ever travel as
 * parameters, cast to the column's type by Postgres itself (so a bad uuid is
 * Postgres' own 22P02, as with PostgREST, which sends them as untyped literals).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
  body() {
    return { code: this.code, details: this.details, hint: this.hint, message: this.message };
  }
}

/** A table as the schema cache knows it: its qualified name and its columns' types. */
export type TableInfo = { schema: string; name: string; columns: Map<string, string> };

const OPERATORS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=", like: "like", ilike: "ilike" };
const IS_VALUES: Record<string, string> = { null: "null", not_null: "not null", true: "true", false: "false", unknown: "unknown" };
/** Query parameters that are not filters. */
export const RESERVED = new Set(["select", "order", "limit", "offset", "on_conflict", "columns"]);

export const qualified = (table: TableInfo) => `${ident(table.schema)}.${ident(table.name)}`;

/** `"public"."t"."col"`, so an unknown column is Postgres' own "column t.col does not exist"… after our own check. */
export function columnRef(table: TableInfo, column: string): string {
  if (!table.columns.has(column)) throw new ApiError(400, "42703", `column ${table.name}.${column} does not exist`);
  return `${qualified(table)}.${ident(column)}`;
}

/** Parameters in order; each fragment refers to them as $n. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A value as written in a filter: `"quoted, with \" escapes"` or bare. */
function unquote(raw: string): string {
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1).replace(/\\(.)/g, "$1");
  return raw;
}

/** Splits on top-level commas, respecting parentheses and double quotes. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === "\\") {
      current += char + (text[++i] ?? "");
      continue;
    }
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

/** One `operator.value` (optionally `not.`-prefixed) applied to a column. */
function condition(table: TableInfo, column: string, expression: string, params: Params): string {
  const negated = expression.startsWith("not.");
  const rest = negated ? expression.slice(4) : expression;
  const dot = rest.indexOf(".");
  const operator = dot === -1 ? rest : rest.slice(0, dot);
  const raw = dot === -1 ? "" : rest.slice(dot + 1);
  const ref = columnRef(table, column);
  const type = table.columns.get(column)!;
  let sql: string;
  if (operator in OPERATORS) {
    const value = operator === "like" || operator === "ilike" ? unquote(raw).replace(/\*/g, "%") : unquote(raw);
    sql = operator === "like" || operator === "ilike" ? `${ref}::text ${OPERATORS[operator]} ${params.add(value)}` : `${ref} ${OPERATORS[operator]} (${params.add(value)}::text)::${type}`;
  } else if (operator === "in") {
    if (!raw.startsWith("(") || !raw.endsWith(")")) throw new ApiError(400, "PGRST100", `"failed to parse filter (${expression})"`, "unexpected end of input expecting \"(\"");
    const list = raw.slice(1, -1) === "" ? [] : splitTopLevel(raw.slice(1, -1)).map(unquote);
    sql = `${ref} = any((${params.add(list)}::text[])::${type}[])`;
  } else if (operator === "is" && raw in IS_VALUES) {
    sql = `${ref} is ${IS_VALUES[raw]}`;
  } else {
    throw new ApiError(400, "PGRST100", `"failed to parse filter (${expression})"`, `unexpected "${operator}" expecting an operator`);
  }
  return negated ? `not (${sql})` : sql;
}

/** `(a.eq.1,and(b.lt.2,c.is.null))` under `or`/`and`, nesting and `not.` included. */
function tree(table: TableInfo, kind: "and" | "or", negated: boolean, inner: string, params: Params): string {
  const parts = splitTopLevel(inner).map((item) => {
    const nested = /^(not\.)?(and|or)\((.*)\)$/s.exec(item);
    if (nested) return tree(table, nested[2] as "and" | "or", Boolean(nested[1]), nested[3], params);
    const dot = item.indexOf(".");
    if (dot === -1) throw new ApiError(400, "PGRST100", `"failed to parse logic tree (${inner})"`);
    return condition(table, item.slice(0, dot), item.slice(dot + 1), params);
  });
  const joined = `(${parts.join(` ${kind} `)})`;
  return negated ? `not ${joined}` : joined;
}

/** The WHERE clause of every filter in the query string (`true` when none). */
export function whereClause(table: TableInfo, query: URLSearchParams, params: Params): string {
  const parts: string[] = [];
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue;
    const logic = /^(not\.)?(and|or)$/.exec(key);
    if (logic) {
      if (!value.startsWith("(") || !value.endsWith(")")) throw new ApiError(400, "PGRST100", `"failed to parse logic tree (${value})"`);
      parts.push(tree(table, logic[2] as "and" | "or", Boolean(logic[1]), value.slice(1, -1), params));
    } else parts.push(condition(table, key, value, params));
  }
  return parts.length ? parts.join(" and ") : "true";
}

/** `col.desc.nullslast,other` → ORDER BY. */
export function orderClause(table: TableInfo, order: string | null): string {
  if (!order) return "";
  const terms = splitTopLevel(order).map((term) => {
    const [column, ...modifiers] = term.split(".");
    const ref = columnRef(table, column);
    const words = modifiers.map((modifier) => {
      const word = { asc: "asc", desc: "desc", nullsfirst: "nulls first", nullslast: "nulls last" }[modifier];
      if (!word) throw new ApiError(400, "PGRST100", `"failed to parse order (${order})"`, `unexpected "${modifier}"`);
      return word;
    });
    return [ref, ...words].join(" ");
  });
  return `order by ${terms.join(", ")}`;
}

/** The select list: `*`, `col`, `alias:col`, `col::type`. Embedding (`other(*)`) is not emulated: no adapter uses it. */
export function selectList(table: TableInfo, select: string | null): string {
  if (!select || select === "*") return `${qualified(table)}.*`;
  return splitTopLevel(select)
    .map((item) => {
      const term = item.trim();
      if (term === "*") return `${qualified(table)}.*`;
      if (term.includes("(")) throw new ApiError(400, "PGRST100", `The emulator does not embed resources: "${term}"`);
      const match = /^(?:([^:]+):)?([^:]+)(?:::([a-z_ ]+))?$/i.exec(term);
      if (!match) throw new ApiError(400, "PGRST100", `"failed to parse select parameter (${select})"`);
      const [, alias, column, cast] = match;
      const ref = columnRef(table, column);
      return `${cast ? `${ref}::${cast}` : ref} as ${ident(alias ?? column)}`;
    })
    .join(", ");
}

/** `limit`/`offset` as non-negative integers, or nothing. */
export function pageClause(query: URLSearchParams, params: Params): string {
  const parts: string[] = [];
  for (const key of ["limit", "offset"] as const) {
    const value = query.get(key);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) throw new ApiError(400, "PGRST100", `"failed to parse ${key} parameter (${value})"`);
    parts.push(`${key} ${params.add(Number(value))}`);
  }
  return parts.join(" ");
}
