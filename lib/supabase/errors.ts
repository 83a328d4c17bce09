import { AppError } from "@/lib/errors";
import { DELETED_OUTPUT_SQLSTATE, DeletedOutputError } from "@/lib/predictions/deleted-outputs";

/**
 * The one place Supabase's errors become AppErrors. PostgREST answers with
 * Postgres SQLSTATEs or its own PGRSTxxx codes; Storage with a `statusCode`
 * string in the body; a network failure shows up as an error with no code and
 * status 0. What a person can act on gets a status and words; anything else is
 * rethrown as a plain Error (logged, answered as a 500 without internals).
 */

export type PostgrestFailure = { code?: string; message?: string; details?: string | null; hint?: string | null };

/** `status` is the HTTP status supabase-js reports alongside the error (0 when the request never completed). */
export function postgrestError(error: PostgrestFailure, status: number, operation: string): Error {
  const cause = new SupabaseError(operation, error.message, { code: error.code, status, details: error.details ?? undefined });
  switch (error.code) {
    case DELETED_OUTPUT_SQLSTATE: // the image was deleted: the database refuses to save it again
      return new DeletedOutputError({ cause });
    case "42501": // row-level security or a missing privilege: never say whose row it is
    case "PGRST301": // the JWT could not be verified: as far as this caller knows, nothing is there
    case "23503": // the referenced prediction or user does not exist
      return new AppError("not_found", "That prediction was not found.", { cause });
    case "PGRST303": // JWT expired
      return new AppError("unauthorized", "Your session has expired. Sign in again.", { cause });
    case "23505":
      return new AppError("conflict", "That record already exists.", { cause });
    case "23514": // check constraint
    case "22P02": // malformed uuid or json
    case "22007": // malformed timestamp
    case "22008":
      return new AppError("bad_request", "The request contained an invalid value.", { cause });
  }
  if (isUnavailable(error.code, status)) return unavailable(cause);
  return cause;
}

export type StorageFailure = { message?: string; status?: number; statusCode?: string; name?: string };

export function storageError(error: StorageFailure, operation: string): Error {
  const cause = new SupabaseError(operation, error.message, { code: error.statusCode, status: error.status });
  // Storage reports the meaningful code in `statusCode` (the HTTP status is often 400).
  switch (error.statusCode) {
    case "403": // storage policy said no
    case "404":
    case "not_found":
      return new AppError("not_found", "That file was not found.", { cause });
    case "409":
      return new AppError("conflict", "That file already exists.", { cause });
    case "413":
      return new AppError("payload_too_large", "The file is larger than storage accepts.", { cause });
    case "415":
    case "invalid_mime_type":
      return new AppError("unsupported_media_type", "Files of this type cannot be stored.", { cause });
  }
  // StorageUnknownError: the request never got an answer.
  if (error.name === "StorageUnknownError" || isUnavailable(error.statusCode, error.status ?? 0)) return unavailable(cause);
  return cause;
}

/** The original failure, kept as the `cause` of an AppError or thrown as is (and logged). */
export class SupabaseError extends Error {
  readonly code?: string;
  readonly status?: number;
  readonly details?: string;

  constructor(operation: string, message: string | undefined, info: { code?: string; status?: number; details?: string }) {
    super(`Supabase ${operation} failed: ${message ?? "unknown error"}${info.code ? ` (${info.code})` : ""}`);
    this.name = "SupabaseError";
    this.code = info.code;
    this.status = info.status;
    this.details = info.details;
  }
}

export function unavailable(cause: unknown): AppError {
  return new AppError("upstream_unavailable", "Supabase is not reachable right now. Please try again in a moment.", {
    cause,
    retryAfter: 5,
  });
}

function isUnavailable(code: string | undefined, status: number): boolean {
  // No code and no status: fetch itself failed (DNS, refused, reset, timeout).
  if (!code && status === 0) return true;
  return status >= 500 || code === "PGRST000" || code === "PGRST001" || code === "PGRST002";
}
