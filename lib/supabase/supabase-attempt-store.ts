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
  // The generated Database type learns these functions only when `npm run db:types` is rerun against a project.
  const untyped = admin as unknown as {
    rpc(fn: string, args: object): PromiseLike<{ data: unknown; error: PostgrestFailure | null; status: number }>;
  };
  const rpc = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const { data, error, status } = await untyped.rpc(name, args);
    if (error) throw postgrestError(error, status, `call ${name}`);
    return data as T;
  };

  return {
    async record({ keys, at, since, forgetBefore, limit, known }) {
      const result = await rpc<{ ids: number[]; recent: Record<string, number[]>; known: boolean }>("auth_throttle_record", {
        p_keys: keys,
        p_at: iso(at),
        p_since: iso(since),
        p_forget_before: iso(forgetBefore),
        p_limit: limit,
        p_email: known?.email ?? null,
        p_address: known?.address ?? null,
        p_known_since: known ? iso(known.since) : null,
      });
      return { ids: result.ids.map(Number), recent: result.recent, known: result.known };
    },
    async forget(ids) {
      await rpc("auth_throttle_forget", { p_ids: ids });
    },
    async succeeded({ clearKey, ids, email, address, at, knownForgetBefore }) {
      await rpc("auth_throttle_succeeded", {
        p_clear_key: clearKey,
        p_ids: ids,
        p_email: email,
        p_address: address,
        p_at: iso(at),
        p_known_forget_before: iso(knownForgetBefore),
      });
    },
  };
}
