import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/local/users";

/**
 * Local mode's brake on password guessing (Supabase Auth has its own): at most
 * `perEmail` failed sign-ins per email and `perAddress` per client address in
 * any `windowMs`. Kept in the database, not in memory, so a restart does not
 * reset it. The table lives in a schema of the local bootstrap's own, created
 * here as the database owner: it is not part of the Supabase schema the
 * migrations describe, and the API roles cannot see it.
 *
 * Every attempt is recorded *before* the password is checked (and the record
 * removed when it succeeds), so a burst of parallel guesses is counted as it
 * arrives instead of slipping through while the slow hash runs. Refused
 * attempts are not recorded: hammering does not extend the lock-out.
 */
export const SIGN_IN_LIMITS = { windowMs: 15 * 60_000, perEmail: 5, perAddress: 20 } as const;

const SCHEMA_SQL = /* sql */ `
create schema if not exists local_auth;
revoke all on schema local_auth from public;
create table if not exists local_auth.sign_in_attempts (
  id bigint generated always as identity primary key,
  key text not null,
  attempted_at timestamptz not null
);
create index if not exists sign_in_attempts_key_attempted_at_idx
  on local_auth.sign_in_attempts (key, attempted_at);
`;

export type SignInAttempt = { email: string; address?: string | null };
export type SignInThrottle = {
  /** Records the attempt, or throws AppError("rate_limited") with retryAfter. */
  begin(attempt: SignInAttempt): Promise<{ succeeded(): Promise<void> }>;
};

export function createSignInThrottle({
  db,
  limits = SIGN_IN_LIMITS,
  now = () => Date.now(),
}: {
  db: PGlite;
  limits?: { windowMs: number; perEmail: number; perAddress: number };
  now?: () => number;
}): SignInThrottle {
  let ready: Promise<void> | undefined;
  const ensureTable = () =>
    (ready ??= db.exec(SCHEMA_SQL).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    ));

  return {
    async begin({ email, address }) {
      await ensureTable();
      const at = now();
      const since = new Date(at - limits.windowMs).toISOString();
      const keys = [{ key: `email:${normalizeEmail(email)}`, max: limits.perEmail }];
      if (address) keys.push({ key: `address:${address}`, max: limits.perAddress });

      // One transaction: PGlite runs them one at a time, so check-and-record is atomic.
      const ids = await db.transaction(async (tx) => {
        // Old attempts say nothing any more; dropping them keeps the table small.
        await tx.query("delete from local_auth.sign_in_attempts where attempted_at < $1", [since]);
        for (const { key, max } of keys) {
          // The max-th newest attempt: once it leaves the window, one more try is allowed.
          const { rows } = await tx.query<{ attempted_at: Date }>(
            `select attempted_at from local_auth.sign_in_attempts
             where key = $1 and attempted_at >= $2
             order by attempted_at desc offset $3 limit 1`,
            [key, since, max - 1],
          );
          if (rows[0]) {
            const retryAfter = Math.max(1, Math.ceil((rows[0].attempted_at.getTime() + limits.windowMs - at) / 1000));
            throw new AppError("rate_limited", `Too many sign-in attempts. Try again in ${inWords(retryAfter)}.`, { retryAfter });
          }
        }
        const inserted: number[] = [];
        for (const { key } of keys) {
          const { rows } = await tx.query<{ id: number }>(
            "insert into local_auth.sign_in_attempts (key, attempted_at) values ($1, $2) returning id",
            [key, new Date(at).toISOString()],
          );
          inserted.push(rows[0].id);
        }
        return inserted;
      });

      return {
        // The right password clears the email's failures, but only this attempt
        // from the address: one good account must not reset an address's guessing budget.
        async succeeded() {
          await db.query("delete from local_auth.sign_in_attempts where key = $1 or id = any($2::bigint[])", [keys[0].key, ids]);
        },
      };
    },
  };
}

function inWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

