import "server-only";
import { AppError, type FieldErrors } from "@/lib/errors";
import { isNetworkError, isTimeout, retryAfterSeconds, upstreamFailureOf, type UpstreamFailure } from "@/lib/models/replicate-http";

export type ReplicateOperation = "create" | "get" | "cancel" | "describe";

/** What people see when the operator's model configuration is at fault; the log says what to fix. */
export const MODEL_UNAVAILABLE = "This model is not available right now.";

/** The operator's side of a model that cannot run: what to change in the environment. */
export class ModelConfigurationProblem extends Error {
  override name = "ModelConfigurationProblem";
}

/** An error for people ("not available") that carries, as its cause, what the operator must fix. */
export function modelConfigurationError(fix: string): AppError {
  return new AppError("model_unavailable", MODEL_UNAVAILABLE, { cause: new ModelConfigurationProblem(fix) });
}

export function configurationProblemOf(error: unknown): string | null {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause instanceof ModelConfigurationProblem ? cause.message : null;
}

/**
 * Turns whatever a Replicate call threw into an AppError a person can act on.
 * The wording names the setting to check where one is at fault; Replicate's
 * own `detail` is passed on where it helps (it never holds secrets).
 */
export function toReplicateAppError(
  error: unknown,
  { operation, modelRef }: { operation: ReplicateOperation; modelRef: string },
): AppError {
  if (error instanceof AppError) return error;
  const failure = upstreamFailureOf(error);
  if (failure) return fromFailure(failure, operation, modelRef, error);
  if (isTimeout(error)) {
    return new AppError("upstream_unavailable", "Replicate did not answer in time. Try again in a moment.", {
      retryAfter: 5,
      cause: error,
    });
  }
  if (isNetworkError(error)) {
    return new AppError("upstream_unavailable", "Could not reach Replicate. Check the server's internet connection and try again.", {
      retryAfter: 5,
      cause: error,
    });
  }
  console.error(`Replicate ${operation} failed`, error);
  return new AppError("upstream_error", "Replicate answered in a way this app does not understand.", { cause: error });
}

function fromFailure(failure: UpstreamFailure, operation: ReplicateOperation, modelRef: string, cause: unknown): AppError {
  const { status, detail } = failure;
  const said = detail ? ` Replicate said: ${detail}` : "";
  switch (true) {
    case status === 401:
      return new AppError("upstream_error", "The Replicate API token was rejected. Check REPLICATE_API_TOKEN.", { cause });
    case status === 402:
      return new AppError(
        "upstream_error",
        "Replicate needs billing set up for this account, or it is out of credit. Check replicate.com/account/billing.",
        { cause },
      );
    case status === 403:
      return new AppError("upstream_error", `Replicate refused access with this API token.${said}`, { cause });
    case status === 404 && (operation === "get" || operation === "cancel"):
      return new AppError("not_found", "Prediction not found.", { cause });
    // A model or version Replicate does not know (or will not run for this
    // token) is the operator's configuration, never the person's input.
    case status === 404:
    case status === 422 && isInvalidVersion(failure):
      return configurationError(modelRef, `${failure.title ?? ""} ${detail ?? ""}`.trim(), cause);
    case status === 422:
      return new AppError("invalid_input", readableValidation(detail), { fields: validationFields(failure), cause });
    case status === 429: {
      const retryAfter = retryAfterSeconds(failure) ?? 10;
      return new AppError("rate_limited", `Replicate is limiting how fast this app can call it. Try again in about ${retryAfter} s.`, {
        retryAfter,
        cause,
      });
    }
    case status >= 500:
      return new AppError("upstream_unavailable", `Replicate is having trouble right now (HTTP ${status}). Try again in a moment.`, {
        retryAfter: retryAfterSeconds(failure) ?? 5,
        cause,
      });
    default:
      return new AppError("upstream_error", `Replicate refused the request (HTTP ${status}).${said}`, { cause });
  }
}

// Replicate lists validation problems one per line: "- input.width: Must be less than or equal to 1536".
const VALIDATION_LINE = /^-?\s*input\.([\w]+):\s*(.+)$/;

function readableValidation(detail: string | undefined): string {
  if (!detail) return "Replicate rejected the input.";
  const lines = detail
    .split("\n")
    .map((line) => line.replace(/^-\s*/, "").trim())
    .filter(Boolean);
  return `Replicate rejected the input: ${lines.join("; ")}`;
}

/** Replicate answers an unknown or forbidden version with a 422 "Invalid version or not permitted". */
function isInvalidVersion(failure: UpstreamFailure): boolean {
  return /invalid version|not permitted/i.test(`${failure.title ?? ""} ${failure.detail ?? ""}`);
}

function configurationError(modelRef: string, said: string, cause: unknown): AppError {
  const fix =
    `Replicate cannot run ${modelRef}${said ? ` (${said})` : ""}. Check REPLICATE_MODEL / REPLICATE_MODELS: ` +
    'official models run as "owner/name", any other model needs "owner/name:<version id>", deployments "deployment:owner/name".';
  console.error(fix, cause instanceof Error ? `(${cause.message})` : "");
  return modelConfigurationError(fix);
}

function validationFields(failure: UpstreamFailure): FieldErrors | undefined {
  const fields: FieldErrors = {};
  for (const { field, description } of failure.invalidFields ?? []) {
    (fields[field.replace(/^input\./, "")] ??= []).push(description);
  }
  if (Object.keys(fields).length > 0) return fields;
  for (const line of failure.detail?.split("\n") ?? []) {
    const match = line.trim().match(VALIDATION_LINE);
    if (match) (fields[match[1]] ??= []).push(match[2].trim());
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}
