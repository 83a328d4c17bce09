import type { Reservation } from "@/lib/predictions/ports";

/** What public.reserve_prediction returns (supabase/migrations/20261203000000_atomic_limits_and_deletions.sql). */
export type ReservationAnswer = { reservation?: string; refused?: string; count?: number };

/** reserve_prediction's answer as the port's Reservation, read the same way by both stores. */
export function toReservation(answer: ReservationAnswer | null): Reservation {
  if (typeof answer?.reservation === "string") return { ok: true, id: answer.reservation };
  if (answer?.refused === "running" || answer?.refused === "per_minute") return { ok: false, reason: answer.refused, count: Number(answer.count ?? 0) };
  throw new Error(`Unexpected answer from reserve_prediction: ${JSON.stringify(answer)}`);
}
