import type { FieldErrors } from "@/lib/errors";
import type { InputValues } from "@/lib/models/input-fields";
import type { PredictionView } from "@/lib/predictions/types";

/** A failed request in the terms the UI needs; `status` is null when the server was never reached. */
export type RequestFailure = {
  status: number | null;
  code: string;
  message: string;
  fields?: FieldErrors;
  /** Seconds, from Retry-After. */
  retryAfter?: number;
};

export class RequestError extends Error {
  readonly failure: RequestFailure;
  constructor(failure: RequestFailure) {
    super(failure.message);
    this.name = "RequestError";
    this.failure = failure;
  }
}

const NETWORK_FAILURE: RequestFailure = {
  status: null,
  code: "network",
  message: "Could not reach the server. Check your connection and try again.",
};

export function predictionUrl(id: string): string {
  return `/api/replicate/${encodeURIComponent(id)}`;
}

/** Starts a prediction on the model the picker names by `model` (a ModelOption's key). */
export async function createPrediction({ model, input }: { model: string; input: InputValues }): Promise<PredictionView> {
  return request("/api/replicate", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ model, input }),
  });
}

/** The server's answer when the chosen model cannot be run (no schema, removed, not configured). */
export function isModelUnavailable(failure: RequestFailure): boolean {
  return failure.code === "model_unavailable";
}

/** Asks the model to stop. The answer is the prediction as it now stands: usually canceled, possibly already succeeded. */
export async function cancelPrediction(id: string): Promise<PredictionView> {
  return request(`${predictionUrl(id)}/cancel`, { method: "POST", headers: { accept: "application/json" } });
}

/** SWR fetcher for `/api/replicate/[id]`. */
export async function fetchPrediction(url: string): Promise<PredictionView> {
  return request(url, { headers: { accept: "application/json" }, cache: "no-store" });
}

async function request(url: string, init: RequestInit): Promise<PredictionView> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new RequestError(NETWORK_FAILURE);
  }
  if (!response.ok) throw new RequestError(await readFailure(response));
  try {
    return (await response.json()) as PredictionView;
  } catch {
    throw new RequestError({ status: response.status, code: "bad_response", message: "The server sent an unreadable answer." });
  }
}

async function readFailure(response: Response): Promise<RequestFailure> {
  const body: unknown = await response.json().catch(() => null);
  const error = isErrorBody(body) ? body.error : null;
  return {
    status: response.status,
    code: error?.code ?? `http_${response.status}`,
    message: error?.message ?? `The server answered with an error (HTTP ${response.status}). Please try again.`,
    ...(error?.fields ? { fields: error.fields } : {}),
    ...retryAfter(response.headers.get("retry-after")),
  };
}

function isErrorBody(body: unknown): body is { error: { code: string; message: string; fields?: FieldErrors } } {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { message?: unknown }).message === "string" &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

/** Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfter(header: string | null): { retryAfter?: number } {
  if (!header) return {};
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : Math.ceil((Date.parse(header) - Date.now()) / 1000);
  return Number.isFinite(seconds) ? { retryAfter: Math.max(0, seconds) } : {};
}
