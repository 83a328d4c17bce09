import { HttpResponse } from "msw";
import type { Identity } from "@/tests/msw/supabase-handlers";
import { PgError, type Row } from "@/tests/msw/supabase-rest";

/**
 * TEMPORARY, drop at merge: the emulator's hand-written copy of
 * supabase/migrations/20261203000000_atomic_limits_and_deletions.sql, kept in
 * this one file (plus the lines marked `[20261203 emulator]` in
 * supabase-rest.ts and supabase-handlers.ts) until the emulator runs the real
 * migrations. It copies:
 * - public.reserve_prediction / release_prediction_reservation, granted to
 *   `authenticated`, acting for the JWT's user. One request is handled without
 *   yielding between count and insert, as the advisory lock makes it in Postgres.
 * - predictions.deleted_outputs, marked when an image row is deleted, and the
 *   trigger refusing an image row for a deleted output (SQLSTATE SX410).
 */

const RUNNING_WINDOW_MS = 30 * 60_000;
const HOLD_MS = 2 * 60_000;

export type Reservations = Map<string, { userId: string; expiresAt: number }>;

/** The column the migration adds (an int[], carried as a JSON array), and its default. */
export const DELETED_OUTPUTS_COLUMN = "deleted_outputs";
export const DELETED_OUTPUTS_DEFAULT: number[] = [];

/** Answers this migration's functions; null for any other function. */
export function callReservationFunction({
  fn,
  identity,
  args,
  predictions,
  reservations,
}: {
  fn: string;
  identity: Identity;
  args: Record<string, unknown>;
  predictions: Row[];
  reservations: Reservations;
}): Response | null {
  if (fn !== "reserve_prediction" && fn !== "release_prediction_reservation") return null;
  // Executable by `authenticated` only (revoked from public and anon).
  if (identity.role === "anon") return new PgError(401, "42501", `permission denied for function ${fn}`).response();
  if (identity.role !== "authenticated") {
    return new PgError(400, "42501", "reserve_prediction needs a signed-in caller").response();
  }
  const uid = identity.sub;
  if (fn === "release_prediction_reservation") {
    const held = reservations.get(String(args.p_id));
    if (held?.userId === uid) reservations.delete(String(args.p_id));
    return new HttpResponse(null, { status: 204 });
  }
  const now = Date.now();
  for (const [id, held] of reservations) if (held.userId === uid && held.expiresAt <= now) reservations.delete(id);
  const live = [...reservations.values()].filter((held) => held.userId === uid).length;
  const mine = predictions.filter((row) => row.user_id === uid);
  const running =
    mine.filter((row) => ["starting", "processing"].includes(row.status as string) && Date.parse(row.created_at as string) >= now - RUNNING_WINDOW_MS).length + live;
  if (running >= Math.max(Number(args.p_concurrent), 0)) return HttpResponse.json({ refused: "running", count: running });
  const recent = mine.filter((row) => Date.parse(row.created_at as string) >= now - 60_000).length + live;
  if (recent >= Math.max(Number(args.p_per_minute), 0)) return HttpResponse.json({ refused: "per_minute", count: recent });
  const id = crypto.randomUUID();
  reservations.set(id, { userId: uid, expiresAt: now + HOLD_MS });
  return HttpResponse.json({ reservation: id });
}

/** The BEFORE INSERT trigger on sdxl_images: a deleted output is never saved again. */
export function refuseDeletedOutput(predictions: Row[], image: Row): void {
  const prediction = predictions.find((row) => row.id === image.prediction_id);
  if ((prediction?.deleted_outputs as number[] | undefined)?.includes(image.output_index as number)) {
    throw new PgError(400, "SX410", `output ${String(image.output_index)} of prediction ${String(image.prediction_id)} was deleted`);
  }
}

/** The BEFORE DELETE trigger on sdxl_images: the deleted output is marked on its prediction. */
export function markDeletedOutputs(predictions: Row[], deleted: Row[]): void {
  for (const image of deleted) {
    const prediction = predictions.find((row) => row.id === image.prediction_id);
    const marks = (prediction?.deleted_outputs as number[] | undefined) ?? [];
    if (prediction && !marks.includes(image.output_index as number)) prediction.deleted_outputs = [...marks, image.output_index as number];
  }
}
