import "server-only";
import { runWithin } from "@/lib/http/deadline";

/**
 * The HTTP layer under the official `replicate` client (1.4.0).
 *
 * The client's own retry loop (lib/util.js `withAutomaticRetries`) is not what
 * this app wants, so it is switched off here and replaced by `withReadRetries`:
 * - it retries a POST on 429 and on any network error, so a create (not
 *   idempotent, costs money) could run up to six times;
 * - its back-off never sleeps (it only sleeps when a float delay is an
 *   integer) and its Retry-After handling is unreachable, so a throttled GET is
 *   re-sent five times within milliseconds, which deepens the throttling.
 */

/** One entry of a 422's `invalid_fields`: `{ type, field: "input.width", description }`. */
export type InvalidField = { field: string; description: string };

/** A failed Replicate answer: status, headers and the `{ title, detail, invalid_fields }` body when there was one. */
export type UpstreamFailure = { status: number; headers: Headers; title?: string; detail?: string; invalidFields?: InvalidField[] };

// Error bodies by the Response handed to the client: it reads the body itself
// (into ApiError's message), so the text is kept here for the error mapping.
const errorBodies = new WeakMap<Response, string>();

/**
 * A fetch for the client that (1) never lets Next's fetch cache answer a poll
 * (replicate/replicate-javascript#136) and (2) performs each client request
 * once. The client passes the same `init` object to every attempt of one
 * request, so a repeat `init` gets the first outcome back instead of a new
 * request; the client then gives up and throws it.
 */
export function createReplicateFetch(baseFetch: typeof fetch): typeof fetch {
  const outcomes = new WeakMap<object, Promise<Outcome>>();
  return async (input, init) => {
    const key = init ?? {};
    let outcome = outcomes.get(key);
    if (!outcome) {
      outcome = perform(baseFetch, input, { ...init, cache: "no-store" });
      outcomes.set(key, outcome);
    }
    const settled = await outcome;
    if (settled.kind === "thrown") throw settled.error;
    if (settled.kind === "ok") return settled.response;
    const replay = new Response(settled.text, {
      status: settled.status,
      statusText: settled.statusText,
      headers: settled.headers,
    });
    errorBodies.set(replay, settled.text);
    return replay;
  };
}

type Outcome =
  | { kind: "ok"; response: Response }
  | { kind: "failed"; status: number; statusText: string; headers: Headers; text: string }
  | { kind: "thrown"; error: unknown };

async function perform(baseFetch: typeof fetch, input: RequestInfo | URL, init: RequestInit): Promise<Outcome> {
  try {
    const response = await baseFetch(input, init);
    // Successful answers go straight back: the client never retries them.
    if (response.ok) return { kind: "ok", response };
    const text = await response.text().catch(() => "");
    return { kind: "failed", status: response.status, statusText: response.statusText, headers: response.headers, text };
  } catch (error) {
    return { kind: "thrown", error };
  }
}

/** The HTTP failure behind a client ApiError, or null for anything else. */
export function upstreamFailureOf(error: unknown): UpstreamFailure | null {
  const response = (error as { response?: unknown } | null)?.response;
  if (!(error instanceof Error) || error.name !== "ApiError" || !(response instanceof Response)) return null;
  const body = parseErrorBody(errorBodies.get(response));
  return { status: response.status, headers: response.headers, ...body };
}

function parseErrorBody(text: string | undefined): Omit<UpstreamFailure, "status" | "headers"> {
  if (!text) return {};
  try {
    const body = JSON.parse(text) as { title?: unknown; detail?: unknown; invalid_fields?: unknown };
    const invalidFields = Array.isArray(body.invalid_fields)
      ? body.invalid_fields.flatMap((entry: { field?: unknown; description?: unknown }) =>
          typeof entry?.field === "string" && typeof entry.description === "string" ? [{ field: entry.field, description: entry.description }] : [],
        )
      : undefined;
    return {
      title: typeof body.title === "string" ? body.title : undefined,
      detail: typeof body.detail === "string" ? body.detail.trim() : undefined,
      ...(invalidFields?.length ? { invalidFields } : {}),
    };
  } catch {
    return {}; // An HTML page from a proxy says nothing a person could use.
  }
}

/** Seconds to wait, from Retry-After (seconds or an HTTP date) or "resets in ~30s" in the detail. */
export function retryAfterSeconds(failure: UpstreamFailure): number | undefined {
  const header = failure.headers.get("retry-after")?.trim();
  let seconds: number | undefined;
  if (header && /^\d+(\.\d+)?$/.test(header)) seconds = Number(header);
  else if (header && !Number.isNaN(Date.parse(header))) seconds = (Date.parse(header) - Date.now()) / 1000;
  else {
    const match = failure.detail?.match(/resets in ~?\s*(\d+)\s*s/i);
    if (match) seconds = Number(match[1]);
  }
  return seconds === undefined ? undefined : Math.min(3600, Math.max(1, Math.ceil(seconds)));
}

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** fetch rejects with a TypeError when the connection fails (DNS, refused, reset). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError || isTimeout(error);
}

export type RetryPolicy = {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  /** Nothing is started, and no wait begun, that would end after this. */
  budgetMs: number;
  attemptTimeoutMs: number;
  /** false: a 429 is thrown at once (see ReadOptions in lib/models/image-model.ts). */
  waitOutThrottle: boolean;
};

export const DEFAULT_READ_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 400, budgetMs: 10_000, attemptTimeoutMs: 8_000, waitOutThrottle: true };

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs an idempotent call (get, cancel) again after 429, 5xx or a network
 * failure: exponential back-off with jitter, Retry-After honoured, all within
 * `budgetMs`. A wait that would overrun the budget is not started: the last
 * error is thrown so the caller can pass Retry-After on to the browser.
 */
export async function withReadRetries<T>(
  run: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy = DEFAULT_READ_RETRY,
  sleep: (ms: number) => Promise<void> = wait,
): Promise<T> {
  const deadline = Date.now() + policy.budgetMs;
  for (let attempt = 1; ; attempt++) {
    const remaining = Math.max(1, deadline - Date.now());
    try {
      return await runWithin(Math.min(policy.attemptTimeoutMs, remaining), run);
    } catch (error) {
      const delay = retryDelayMs(error, attempt, policy);
      if (delay === null || attempt >= policy.attempts || Date.now() + delay >= deadline) throw error;
      await sleep(delay);
    }
  }
}

/** How long and how often a create may wait out Replicate's throttling before the person hears of it. */
export type ThrottlePolicy = {
  /** Attempts in all, the first included. */
  attempts: number;
  /** A 429 that asks for a longer wait than this goes back to the person with its Retry-After. */
  maxWaitMs: number;
  /** No wait is begun that would end after this. */
  budgetMs: number;
};

export const DEFAULT_CREATE_THROTTLE: ThrottlePolicy = { attempts: 3, maxWaitMs: 3_000, budgetMs: 6_000 };

/**
 * Runs a create again only after a 429 that says how long to wait, when that
 * wait is short. A throttled request is refused before anything starts, so
 * nothing runs or is billed twice; every other failure (a timeout or a 5xx,
 * after which the run may have started) is thrown at once, as before. This
 * keeps a launch's short bursts past Replicate's 600 creates a minute from
 * reaching people as errors.
 */
export async function withThrottleRetries<T>(
  run: () => Promise<T>,
  policy: ThrottlePolicy = DEFAULT_CREATE_THROTTLE,
  sleep: (ms: number) => Promise<void> = wait,
): Promise<T> {
  const deadline = Date.now() + policy.budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const failure = upstreamFailureOf(error);
      const seconds = failure?.status === 429 ? retryAfterSeconds(failure) : undefined;
      const delay = seconds === undefined ? null : seconds * 1000;
      if (delay === null || delay > policy.maxWaitMs || attempt >= policy.attempts || Date.now() + delay >= deadline) throw error;
      await sleep(delay);
    }
  }
}

function retryDelayMs(error: unknown, attempt: number, policy: RetryPolicy): number | null {
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1) + Math.random() * policy.baseDelayMs;
  const failure = upstreamFailureOf(error);
  if (!failure) return isNetworkError(error) ? backoff : null;
  if (failure.status !== 429 && failure.status < 500) return null;
  if (failure.status === 429 && !policy.waitOutThrottle) return null;
  const after = retryAfterSeconds(failure);
  return after === undefined ? backoff : after * 1000;
}
