import { asAppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { observationOf } from "@/lib/predictions/observation";
import type { Backend, ImageRow, PredictionRow } from "@/lib/predictions/ports";
import { requireOwnPrediction } from "@/lib/predictions/prediction-id";
import { nextReadAfter, readIntervalMs, webhookSilenceMs } from "@/lib/predictions/read-schedule";
import type { ModelPrediction } from "@/lib/predictions/types";

export type SharedRead = {
  row: PredictionRow;
  images: ImageRow[];
  /** What the model answered, when this poll (or one it joined) read it; null when the row was fresh enough. */
  live: ModelPrediction | null;
  /** When the page should poll again, in ms. */
  pollAfterMs: number;
};

// Polls in this process for the same prediction share the read in flight. On
// globalThis: Next may evaluate this module once per route bundle.
const holder = globalThis as typeof globalThis & {
  __sdxlSharedReads?: Map<string, Promise<SharedRead>>;
  __sdxlSucceededReads?: Map<string, { live: ModelPrediction; at: number }>;
};
const inFlight = (holder.__sdxlSharedReads ??= new Map());
// A read that found `succeeded`, kept a minute: polls in this process that come
// just after it (and so are not due to read) still have the outputs to save
// from, while the row (whose outputs only a webhook writes) cannot say them.
const succeeded = (holder.__sdxlSucceededReads ??= new Map());
const SUCCEEDED_TTL_MS = 60_000;
const MAX_SUCCEEDED = 10_000;

function rememberSucceeded(key: string, live: ModelPrediction, now: number) {
  succeeded.delete(key);
  succeeded.set(key, { live, at: now });
  // Maps iterate in insertion order, so the first key is the oldest.
  while (succeeded.size > MAX_SUCCEEDED) succeeded.delete(succeeded.keys().next().value as string);
}

function recentSucceeded(key: string, now: number): ModelPrediction | null {
  const entry = succeeded.get(key);
  if (!entry || now - entry.at > SUCCEEDED_TTL_MS) return null;
  return entry.live;
}

/**
 * The prediction as fresh as it needs to be, reading the model only when the
 * row's next_read_at says a read is due, and then only once for everyone:
 * concurrent polls in this process join the read in flight, and across
 * processes the row's claim (RowStore.claimRead) lets one poll read while the
 * others answer from the row. With webhooks the row is kept current by them,
 * and a read is due only after a long silence (a lost delivery).
 */
export async function readShared({
  row,
  images,
  backend,
  model,
  webhooks,
  now = Date.now(),
}: {
  row: PredictionRow;
  images: ImageRow[];
  backend: Backend;
  model: ImageModel;
  webhooks: boolean;
  now?: number;
}): Promise<SharedRead> {
  const age = Math.max(0, now - Date.parse(row.created_at));
  const interval = readIntervalMs(age);
  // Never read yet: due now, unless webhooks are expected (the `start` delivery moves it on).
  const dueAt = row.next_read_at ? Date.parse(row.next_read_at) : webhooks ? Date.parse(row.created_at) + webhookSilenceMs(age) : now;
  const key = `${row.user_id}/${row.id}`;
  const fromRow = (pollAfterMs: number): SharedRead => ({ row, images, live: recentSucceeded(key, now), pollAfterMs });
  // A read in flight in this process has the newest answer there is: join it.
  const running = inFlight.get(key);
  if (running) return running;
  // With webhooks the row changes without reads: the page polls the row at the usual pace.
  if (dueAt > now) return fromRow(webhooks ? interval : clampPoll(dueAt - now));

  const reading = read({ key, row, images, backend, model, webhooks, now, interval }).finally(() => inFlight.delete(key));
  inFlight.set(key, reading);
  return reading;
}

async function read({
  key,
  row,
  images,
  backend,
  model,
  webhooks,
  now,
  interval,
}: {
  key: string;
  row: PredictionRow;
  images: ImageRow[];
  backend: Backend;
  model: ImageModel;
  webhooks: boolean;
  now: number;
  interval: number;
}): Promise<SharedRead> {
  const ids = { id: row.id, userId: row.user_id };
  // Held for one interval: a reader that dies mid-read delays the next one by no more than that.
  const claimedUntil = new Date(now + interval).toISOString();
  if (!(await backend.rows.claimRead({ ...ids, now: new Date(now).toISOString(), until: claimedUntil }))) {
    // Someone else read it just now: their answer is in the row (or will be at the next poll).
    const latest = await requireOwnPrediction(backend.rows, ids);
    return { ...latest, live: recentSucceeded(key, now), pollAfterMs: interval };
  }
  let live: ModelPrediction;
  try {
    // A throttled read is not waited out here: every poll joined to this one would wait with it.
    live = await model.get(row.id, { waitOutThrottle: false });
  } catch (error) {
    const appError = asAppError(error);
    if (appError.code !== "rate_limited" && appError.code !== "upstream_unavailable") throw error;
    // Throttled or down: nobody reads this prediction again before the model says
    // it may, and the others answer from the row meanwhile.
    const waitMs = Math.max(interval, (appError.retryAfter ?? 0) * 1000);
    await backend.rows.claimRead({ ...ids, now: claimedUntil, until: new Date(now + waitMs).toISOString() }).catch(() => false);
    // The account's read budget is the app's to spend, not the person's fault:
    // this poll answers from the row too, asking the page to come back when a
    // read is allowed again. A model that is down is reported (503).
    if (appError.code === "rate_limited") return { row, images, live: recentSucceeded(key, now), pollAfterMs: clampPoll(waitMs) };
    throw error;
  }
  if (live.status === "succeeded") rememberSucceeded(key, live, now);
  const heard = Date.now();
  const observation = observationOf(live, { now: heard, nextReadAt: nextReadAfter({ createdAt: row.created_at, now: heard, webhooks }) });
  await backend.rows.recordObservation({ ...ids, observation });
  // The row now holds this read, or something newer a webhook or another reader recorded meanwhile.
  const fresh = await requireOwnPrediction(backend.rows, ids);
  return { row: fresh.row, images: fresh.images, live, pollAfterMs: interval };
}

function clampPoll(ms: number): number {
  return Math.min(30_000, Math.max(500, Math.round(ms)));
}
