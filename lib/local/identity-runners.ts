import "server-only";

import type { PGlite, Transaction } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import { withIdentity, type DbIdentity } from "@/lib/local/database";
import { queryAs } from "@/lib/local/query-as";
import { DELETED_OUTPUT_SQLSTATE, DeletedOutputError } from "@/lib/predictions/deleted-outputs";

/**
 * How the local stores run SQL as `identity`, with the Postgres errors a caller
 * can act on turned into AppErrors:
 * - `run` for statements that must share one transaction (withIdentity);
 * - `runOne` for a single statement, which is its own transaction, sent in one
 *   exchange (lib/local/query-as.ts). A second statement would not share the
 *   first one's transaction, so it is refused rather than run apart.
 */
export function identityRunners(db: PGlite, identity: DbIdentity) {
  const run = <T>(fn: (tx: Transaction) => Promise<T>) =>
    withIdentity(db, identity, fn).catch((error: unknown) => {
      throw toAppError(error);
    });
  const runOne = <T>(fn: (tx: Pick<Transaction, "query">) => Promise<T>) => {
    let sent = false;
    const query = <R>(sql: string, params?: unknown[]) => {
      if (sent) throw new Error("runOne sends one statement; use run() for a transaction.");
      sent = true;
      return queryAs<R>(db, identity, sql, params);
    };
    return fn({ query }).catch((error: unknown) => {
      throw toAppError(error);
    });
  };
  return { run, runOne };
}

/** Postgres errors a caller can act on, as AppErrors; anything else unchanged. */
export function toAppError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case DELETED_OUTPUT_SQLSTATE:
      return new DeletedOutputError({ cause: error });
    case "42501": // row-level security or privilege: say nothing about whose row it is
    case "23503": // the referenced prediction or user does not exist
      return new AppError("not_found", "That prediction was not found.", { cause: error });
    case "23505":
      return new AppError("conflict", "That record already exists.", { cause: error });
    case "23514": // check constraint
    case "22P02": // malformed uuid
    case "22007": // malformed timestamp
    case "22008":
      return new AppError("bad_request", "The request contained an invalid value.", { cause: error });
    default:
      return error;
  }
}
