import "server-only";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import { normalizeEmail } from "@/lib/local/users";

/**
 * Local mode's brake on password guessing and account probing (Supabase Auth
 * has its own). Kept in the database (lib/local/local-auth-sql.ts), not in
 * memory, so a restart does not reset it and every server on the database
 * shares it.
 *
 * Sign-in, in this order:
 * - per client address: at most `perAddress` attempts in any `windowMs`, a
 *   hard limit (the address is the socket's, or a trusted proxy's report of it:
 *   lib/auth/client-address.ts, so it cannot be made up);
 * - per email: `freePerEmail` attempts in the window, then each further attempt
 *   must wait a delay that doubles (2 s, 4 s, ...) up to `maxDelayMs`. Never a
 *   lock-out: a stranger with many addresses can slow an email down, not shut
 *   its owner out; and addresses the email signed in from before are exempt
 *   from the email's delay (the per-address limit still applies to them).
 *
 * Sign-up: at most `perAddress` attempts per address per hour, taken emails
 * included, so probing which emails have accounts is as slow as guessing.
 *
 * Every attempt is recorded *before* the password is checked (and the email's
 * record removed when it succeeds), so a burst of parallel guesses is counted
 * as it arrives instead of slipping through while the slow hash runs. Refused
 * attempts are not recorded: hammering does not extend the wait.
 */
export const SIGN_IN_LIMITS = { windowMs: 15 * 60_000, perAddress: 20, freePerEmail: 5, maxDelayMs: 60_000 } as const;
export const SIGN_UP_LIMITS = { windowMs: 60 * 60_000, perAddress: 10 } as const;
/** How long a successful sign-in keeps an address "known" for its email. */
export const KNOWN_ADDRESS_MS = 90 * 24 * 3600_000;

export type SignInAttempt = { email: string; address?: string | null };
export type SignInThrottle = {
  /** Records the attempt, or throws AppError("rate_limited") with retryAfter. */
  begin(attempt: SignInAttempt): Promise<{ succeeded(): Promise<void> }>;
  /** Records a sign-up attempt from this address, or throws AppError("rate_limited"). */
  beginSignUp(attempt: { address?: string | null }): Promise<void>;
};

type SignInLimits = { windowMs: number; perAddress: number; freePerEmail: number; maxDelayMs: number };

export function createSignInThrottle({
  db,
  limits = SIGN_IN_LIMITS,
  signUpLimits = SIGN_UP_LIMITS,
  now = () => Date.now(),
}: {
  db: PGlite;
  limits?: SignInLimits;
  signUpLimits?: { windowMs: number; perAddress: number };
  now?: () => number;
}): SignInThrottle {
  // Old attempts say nothing any more; dropping them keeps the table small.
  const forget = (tx: Transaction, at: number) =>
    tx.query("delete from local_auth.sign_in_attempts where attempted_at < $1", [
      new Date(at - Math.max(limits.windowMs, signUpLimits.windowMs)).toISOString(),
    ]);

  const record = async (tx: Transaction, key: string, at: number) => {
    const { rows } = await tx.query<{ id: number }>(
      "insert into local_auth.sign_in_attempts (key, attempted_at) values ($1, $2) returning id",
      [key, new Date(at).toISOString()],
    );
    return rows[0].id;
  };

  return {
    async begin({ email, address }) {
      const at = now();
      const emailKey = `email:${normalizeEmail(email)}`;
      const addressKey = address ? `address:${address}` : null;

      // One transaction: PGlite runs them one at a time, so check-and-record is atomic.
      const ids = await db.transaction(async (tx) => {
        await forget(tx, at);
        if (addressKey) {
          const wait = await hardLimitWait(tx, { key: addressKey, max: limits.perAddress, windowMs: limits.windowMs, at });
          if (wait) throw rateLimited("sign-in", wait);
        }
        if (!(address && (await isKnownAddress(tx, normalizeEmail(email), address, at)))) {
          const wait = await emailDelayWait(tx, { key: emailKey, limits, at });
          if (wait) throw rateLimited("sign-in", wait);
        }
        const inserted = [await record(tx, emailKey, at)];
        if (addressKey) inserted.push(await record(tx, addressKey, at));
        return inserted;
      });

      return {
        // The right password clears the email's failures, but only this attempt
        // from the address: one good account must not reset an address's guessing budget.
        async succeeded() {
          await db.transaction(async (tx) => {
            await tx.query("delete from local_auth.sign_in_attempts where key = $1 or id = any($2::bigint[])", [emailKey, ids]);
            if (!address) return;
            await tx.query(
              `insert into local_auth.known_addresses (email, address, last_seen) values ($1, $2, $3)
               on conflict (email, address) do update set last_seen = excluded.last_seen`,
              [normalizeEmail(email), address, new Date(at).toISOString()],
            );
            await tx.query("delete from local_auth.known_addresses where last_seen < $1", [new Date(at - KNOWN_ADDRESS_MS).toISOString()]);
          });
        },
      };
    },

    async beginSignUp({ address }) {
      // With no address (no socket stamp, e.g. a custom server) there is nothing fair to count by.
      if (!address) return;
      const at = now();
      const key = `sign-up:${address}`;
      await db.transaction(async (tx) => {
        await forget(tx, at);
        const wait = await hardLimitWait(tx, { key, max: signUpLimits.perAddress, windowMs: signUpLimits.windowMs, at });
        if (wait) throw rateLimited("sign-up", wait);
        await record(tx, key, at);
      });
    },
  };
}

/** Seconds until `key` may try again under "at most `max` in any `windowMs`", or 0. */
async function hardLimitWait(tx: Transaction, { key, max, windowMs, at }: { key: string; max: number; windowMs: number; at: number }) {
  // The max-th newest attempt: once it leaves the window, one more try is allowed.
  const { rows } = await tx.query<{ attempted_at: Date }>(
    `select attempted_at from local_auth.sign_in_attempts
     where key = $1 and attempted_at >= $2
     order by attempted_at desc offset $3 limit 1`,
    [key, new Date(at - windowMs).toISOString(), max - 1],
  );
  return rows[0] ? secondsUntil(rows[0].attempted_at.getTime() + windowMs, at) : 0;
}

/** Seconds until the email's next attempt is due: 0 for the first few, then a doubling, capped delay after the latest. */
async function emailDelayWait(tx: Transaction, { key, limits, at }: { key: string; limits: SignInLimits; at: number }) {
  const { rows } = await tx.query<{ attempts: number; latest: Date | null }>(
    `select count(*)::int as attempts, max(attempted_at) as latest from local_auth.sign_in_attempts
     where key = $1 and attempted_at >= $2`,
    [key, new Date(at - limits.windowMs).toISOString()],
  );
  const { attempts, latest } = rows[0];
  if (attempts < limits.freePerEmail || !latest) return 0;
  const delay = Math.min(limits.maxDelayMs, 1000 * 2 ** (attempts - limits.freePerEmail + 1));
  return secondsUntil(latest.getTime() + delay, at);
}

async function isKnownAddress(tx: Transaction, email: string, address: string, at: number): Promise<boolean> {
  const { rows } = await tx.query(
    "select 1 from local_auth.known_addresses where email = $1 and address = $2 and last_seen >= $3",
    [email, address, new Date(at - KNOWN_ADDRESS_MS).toISOString()],
  );
  return rows.length > 0;
}

function secondsUntil(time: number, at: number): number {
  return time > at ? Math.max(1, Math.ceil((time - at) / 1000)) : 0;
}

function rateLimited(what: "sign-in" | "sign-up", retryAfter: number): AppError {
  return new AppError("rate_limited", `Too many ${what} attempts. Try again in ${inWords(retryAfter)}.`, { retryAfter });
}

function inWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
