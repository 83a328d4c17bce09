import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import {
  createThrottle,
  SIGN_IN_LIMITS,
  SIGN_UP_LIMITS,
  type AttemptStore,
  type SignInLimits,
  type SignInThrottle,
  type SignUpLimits,
} from "@/lib/auth/sign-in-throttle";

export { SIGN_IN_LIMITS, SIGN_UP_LIMITS, KNOWN_ADDRESS_MS } from "@/lib/auth/sign-in-throttle";
export type { SignInThrottle } from "@/lib/auth/sign-in-throttle";

/**
 * Local mode's throttle: the shared rules (lib/auth/sign-in-throttle.ts) over
 * attempts kept in local_auth (lib/local/local-auth-sql.ts), so a restart
 * does not reset them.
 */
export function createSignInThrottle({
  db,
  limits = SIGN_IN_LIMITS,
  signUpLimits = SIGN_UP_LIMITS,
  now,
}: {
  db: PGlite;
  limits?: SignInLimits;
  signUpLimits?: Partial<SignUpLimits> & { windowMs: number; perAddress: number };
  now?: () => number;
}): SignInThrottle {
  return createThrottle({ store: createLocalAttemptStore(db), limits, signUpLimits: { ...SIGN_UP_LIMITS, ...signUpLimits }, now });
}

export function createLocalAttemptStore(db: PGlite): AttemptStore {
  const iso = (at: number) => new Date(at).toISOString();
  return {
    // One transaction: PGlite runs them one at a time, so read-and-record is atomic.
    record: ({ keys, at, since, forgetBefore, limit, known }) =>
      db.transaction(async (tx) => {
        await tx.query("delete from local_auth.sign_in_attempts where attempted_at < $1", [iso(forgetBefore)]);
        const recent: Record<string, number[]> = {};
        const ids: number[] = [];
        for (const key of keys) {
          const { rows } = await tx.query<{ attempted_at: Date }>(
            `select attempted_at from local_auth.sign_in_attempts where key = $1 and attempted_at >= $2
             order by attempted_at desc limit $3`,
            [key, iso(since), limit],
          );
          recent[key] = rows.map((row) => row.attempted_at.getTime());
        }
        for (const key of keys) {
          const { rows } = await tx.query<{ id: number }>(
            "insert into local_auth.sign_in_attempts (key, attempted_at) values ($1, $2) returning id",
            [key, iso(at)],
          );
          ids.push(Number(rows[0].id));
        }
        let isKnown = false;
        if (known) {
          const { rows } = await tx.query(
            "select 1 from local_auth.known_addresses where email = $1 and address = $2 and last_seen >= $3",
            [known.email, known.address, iso(known.since)],
          );
          isKnown = rows.length > 0;
        }
        return { ids, recent, known: isKnown };
      }),

    async forget(ids) {
      await db.query("delete from local_auth.sign_in_attempts where id = any($1::bigint[])", [ids]);
    },

    async succeeded({ clearKey, ids, email, address, at, knownForgetBefore }) {
      await db.transaction(async (tx) => {
        await tx.query("delete from local_auth.sign_in_attempts where key = $1 or id = any($2::bigint[])", [clearKey, ids]);
        if (!address) return;
        await tx.query(
          `insert into local_auth.known_addresses (email, address, last_seen) values ($1, $2, $3)
           on conflict (email, address) do update set last_seen = excluded.last_seen`,
          [email, address, iso(at)],
        );
        await tx.query("delete from local_auth.known_addresses where last_seen < $1", [iso(knownForgetBefore)]);
      });
    },
  };
}
