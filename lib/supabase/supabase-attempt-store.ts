import "server-only";
import type { AttemptStore } from "@/lib/auth/sign-in-throttle";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { postgrestError, type PostgrestFailure } from "@/lib/supabase/errors";

/**
 * The throttle's attempts in the project's database, through the service-role
 * functions of supabase/migrations/20261202300000_auth_throttle.sql, so every
 * server instance counts the same attempts.
 */
export function createSupabaseAttemptStore(admin: TypedSupabaseClient): AttemptStore {
  const iso = (at: number) => new Date(at).toISOString();
  const done = <T>(name: string, { data, error, status }: { data: unknown; error: PostgrestFailure | null; status: number }): T => {
    if (error) throw postgrestError(error, status, `call ${name}`);
    return data as T;
  };

  return {
    async record({ keys, at, since, forgetBefore, limit, known }) {
      const answer = await admin.rpc("auth_throttle_record", {
        p_keys: keys,
        p_at: iso(at),
        p_since: iso(since),
        p_forget_before: iso(forgetBefore),
        p_limit: limit,
        // Left out (the SQL defaults them to null) when the owner's known addresses are not asked about.
        ...(known ? { p_email: known.email, p_address: known.address, p_known_since: iso(known.since) } : {}),
      });
      const result = done<{ ids: number[]; recent: Record<string, number[]>; known: boolean }>("auth_throttle_record", answer);
      return { ids: result.ids.map(Number), recent: result.recent, known: result.known };
    },
    async forget(ids) {
      done("auth_throttle_forget", await admin.rpc("auth_throttle_forget", { p_ids: ids }));
    },
    async succeeded({ clearKey, ids, email, address, at, knownForgetBefore }) {
      const answer = await admin.rpc("auth_throttle_succeeded", {
        p_clear_key: clearKey,
        p_ids: ids,
        p_email: email,
        p_address: address,
        p_at: iso(at),
        p_known_forget_before: iso(knownForgetBefore),
      });
      done("auth_throttle_succeeded", answer);
    },
  };
}
