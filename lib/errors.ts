/**
 * The one place app errors get a status and a JSON shape. Everything that can
 * fail for a reason the caller should see throws an AppError; anything else is
 * logged and answered as a 500 without internals.
 */
export type ErrorCode =
  | "unauthorized"
  | "forbidden"
  | "bad_request"
  | "invalid_input"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "payload_too_large"
  | "unsupported_media_type"
  | "method_not_allowed"
  | "upstream_error"
  | "upstream_unavailable"
  | "model_unavailable"
  | "internal";

const STATUS: Record<ErrorCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  bad_request: 400,
  invalid_input: 422,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  upstream_error: 502,
  upstream_unavailable: 503,
  model_unavailable: 503,
  internal: 500,
};

export type FieldErrors = Record<string, string[]>;

// A registered symbol is the same in every copy of this module.
const APP_ERROR = Symbol.for("sdxl-studio.app-error");

export class AppError extends Error {
  /**
   * Next can load this module once per server bundle while the app context
   * (lib/server-context.ts) is shared on globalThis, so an error thrown by one
   * copy reaches code holding another copy's class. `instanceof` is answered by
   * a brand instead of by class identity; a subclass is told apart by its
   * `errorName`, which its instances also carry as `name`.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || !(APP_ERROR in value)) return false;
    return this === AppError || (value as { name?: unknown }).name === (this as { errorName?: string }).errorName;
  }

  readonly [APP_ERROR] = true;

  readonly code: ErrorCode;
  readonly status: number;
  readonly fields?: FieldErrors;
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fields?: FieldErrors; retryAfter?: number; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.fields = options.fields;
    this.retryAfter = options.retryAfter;
  }
}

export type ErrorBody = {
  error: { code: ErrorCode; message: string; fields?: FieldErrors };
};

export function toErrorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.fields ? { fields: error.fields } : {}),
    },
  };
}

/** Turns anything thrown into an AppError, hiding what is not meant for users. */
export function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  console.error(error);
  return new AppError("internal", "Something went wrong on our side. Please try again.");
}

export function errorResponse(error: unknown): Response {
  const appError = asAppError(error);
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (appError.retryAfter !== undefined) headers["retry-after"] = String(appError.retryAfter);
  return Response.json(toErrorBody(appError), { status: appError.status, headers });
}
