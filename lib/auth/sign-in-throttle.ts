import { AppError } from "@/lib/errors";

/**
 * The app's brake on password guessing, account probing and email sending, in
 * both modes: local mode keeps its attempts in local_auth (lib/local/sign-in-throttle.ts),
 * Supabase mode in the project's database (lib/supabase/supabase-attempt-store.ts),
 * so a restart does not reset it and every server instance shares it. In
 * Supabase mode it runs before any call to Supabase Auth: Auth limits per IP,
 * and every call comes from this server's IP, so without it one abuser would
 * spend everyone's budget.
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
 * Sign-up and every email sent (magic link, password reset): at most
 * `perAddress` per address per hour, taken emails included, so probing which
 * emails have accounts is as slow as guessing; emails also at most
 * `perEmail` per address of mail per hour, so nobody can flood an inbox.
 *
 * Every attempt is recorded *before* it is judged (the store serialises
 * attempts on the same key), so a burst of parallel guesses is counted as it
 * arrives instead of slipping through while the slow hash or the network call
 * runs; a refused attempt is then forgotten: hammering does not extend the wait.
 */
export const SIGN_IN_LIMITS = { windowMs: 15 * 60_000, perAddress: 20, freePerEmail: 5, maxDelayMs: 60_000 } as const;
export const SIGN_UP_LIMITS = { windowMs: 60 * 60_000, perAddress: 10, perEmail: 3 } as const;
/** How long a successful sign-in keeps an address "known" for its email. */
export const KNOWN_ADDRESS_MS = 90 * 24 * 3600_000;
/** Enough recent attempts per key to decide every rule above. */
const RECENT_LIMIT = 100;

export type SignInLimits = { windowMs: number; perAddress: number; freePerEmail: number; maxDelayMs: number };
export type SignUpLimits = { windowMs: number; perAddress: number; perEmail: number };

/**
 * Where attempts are kept. `record` must, atomically for the keys given: drop
 * attempts older than `forgetBefore`, read each key's attempts since `since`
 * (newest first, at most `limit`, not counting this one), record this attempt
 * under every key, and say whether `known` names an address the email signed
 * in from since `known.since`.
 */
export type AttemptStore = {
  record(args: {
    keys: string[];
    at: number;
    since: number;
    forgetBefore: number;
    limit: number;
    known?: { email: string; address: string; since: number };
  }): Promise<{ ids: number[]; recent: Record<string, number[]>; known: boolean }>;
  /** Removes attempts recorded by `record` (a refused attempt is not counted). */
  forget(ids: number[]): Promise<void>;
  /** A right password: clears `clearKey`'s attempts and `ids`, and remembers the address for the email. */
  succeeded(args: { clearKey: string; ids: number[]; email: string; address: string | null; at: number; knownForgetBefore: number }): Promise<void>;
};

export type SignInAttempt = { email: string; address?: string | null };
export type SignInThrottle = {
  /** Records the attempt, or throws AppError("rate_limited") with retryAfter. */
  begin(attempt: SignInAttempt): Promise<{ succeeded(): Promise<void> }>;
  /**
   * Records a sign-up (or, with `email`, an email sent to that address) from
   * this address, or throws AppError("rate_limited").
   */
  beginSignUp(attempt: { address?: string | null; email?: string; what?: "sign-up" | "email" }): Promise<void>;
};

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function createThrottle({
  store,
  limits = SIGN_IN_LIMITS,
  signUpLimits = SIGN_UP_LIMITS,
  now = () => Date.now(),
}: {
  store: AttemptStore;
  limits?: SignInLimits;
  signUpLimits?: SignUpLimits;
  now?: () => number;
}): SignInThrottle {
  const forgetBefore = (at: number) => at - Math.max(limits.windowMs, signUpLimits.windowMs);

  return {
    async begin({ email, address }) {
      const at = now();
      const normalized = normalizeEmail(email);
      const emailKey = `email:${normalized}`;
      const addressKey = address ? `address:${address}` : null;
      const { ids, recent, known } = await store.record({
        keys: addressKey ? [emailKey, addressKey] : [emailKey],
        at,
        since: at - limits.windowMs,
        forgetBefore: forgetBefore(at),
        limit: RECENT_LIMIT,
        known: address ? { email: normalized, address, since: at - KNOWN_ADDRESS_MS } : undefined,
      });
      const wait =
        (addressKey ? hardLimitWait(recent[addressKey] ?? [], limits.perAddress, limits.windowMs, at) : 0) ||
        (known ? 0 : emailDelayWait(recent[emailKey] ?? [], limits, at));
      if (wait) {
        await store.forget(ids);
        throw rateLimited("sign-in", wait);
      }
      return {
        // The right password clears the email's failures, but only this attempt
        // from the address: one good account must not reset an address's guessing budget.
        succeeded: () =>
          store.succeeded({ clearKey: emailKey, ids, email: normalized, address: address ?? null, at, knownForgetBefore: at - KNOWN_ADDRESS_MS }),
      };
    },

    async beginSignUp({ address, email, what = "sign-up" }) {
      const at = now();
      const keys = [
        // With no address (no socket stamp, e.g. a custom server) there is nothing fair to count by.
        ...(address ? [`sign-up:${address}`] : []),
        ...(email ? [`mail:${normalizeEmail(email)}`] : []),
      ];
      if (keys.length === 0) return;
      const { ids, recent } = await store.record({ keys, at, since: at - signUpLimits.windowMs, forgetBefore: forgetBefore(at), limit: RECENT_LIMIT });
      const wait = Math.max(
        address ? hardLimitWait(recent[`sign-up:${address}`] ?? [], signUpLimits.perAddress, signUpLimits.windowMs, at) : 0,
        email ? hardLimitWait(recent[`mail:${normalizeEmail(email)}`] ?? [], signUpLimits.perEmail, signUpLimits.windowMs, at) : 0,
      );
      if (wait) {
        await store.forget(ids);
        throw rateLimited(what, wait);
      }
    },
  };
}

/** Seconds until one more attempt fits "at most `max` in any `windowMs`", or 0. `recent` is newest first. */
export function hardLimitWait(recent: number[], max: number, windowMs: number, at: number): number {
  // The max-th newest attempt: once it leaves the window, one more try is allowed.
  const blocking = recent[max - 1];
  return blocking === undefined ? 0 : secondsUntil(blocking + windowMs, at);
}

/** Seconds until the email's next attempt is due: 0 for the first few, then a doubling, capped delay after the latest. */
export function emailDelayWait(recent: number[], limits: SignInLimits, at: number): number {
  const attempts = recent.length;
  if (attempts < limits.freePerEmail) return 0;
  const delay = Math.min(limits.maxDelayMs, 1000 * 2 ** (attempts - limits.freePerEmail + 1));
  return secondsUntil(recent[0] + delay, at);
}

function secondsUntil(time: number, at: number): number {
  return time > at ? Math.max(1, Math.ceil((time - at) / 1000)) : 0;
}

function rateLimited(what: "sign-in" | "sign-up" | "email", retryAfter: number): AppError {
  const message =
    what === "email"
      ? `Too many emails asked for. Try again in ${inWords(retryAfter)}.`
      : `Too many ${what} attempts. Try again in ${inWords(retryAfter)}.`;
  return new AppError("rate_limited", message, { retryAfter });
}

function inWords(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/**
 * Attempts kept in this process only: for Supabase mode without
 * SUPABASE_SERVICE_ROLE_KEY, where the database copy cannot be reached. Each
 * server instance then counts on its own (said at start-up).
 */
export function createMemoryAttemptStore(): AttemptStore {
  let nextId = 1;
  const attempts = new Map<number, { key: string; at: number }>();
  const known = new Map<string, number>();
  return {
    async record({ keys, at, since, forgetBefore, limit, known: check }) {
      for (const [id, entry] of attempts) if (entry.at < forgetBefore) attempts.delete(id);
      const recent: Record<string, number[]> = {};
      for (const key of keys) {
        recent[key] = [...attempts.values()].filter((entry) => entry.key === key && entry.at >= since).map((entry) => entry.at).sort((a, b) => b - a).slice(0, limit);
      }
      const ids = keys.map((key) => {
        attempts.set(nextId, { key, at });
        return nextId++;
      });
      const seen = check ? known.get(`${check.email} ${check.address}`) : undefined;
      return { ids, recent, known: seen !== undefined && seen >= (check?.since ?? 0) };
    },
    async forget(ids) {
      for (const id of ids) attempts.delete(id);
    },
    async succeeded({ clearKey, ids, email, address, at }) {
      for (const [id, entry] of attempts) if (entry.key === clearKey || ids.includes(id)) attempts.delete(id);
      if (address) known.set(`${email} ${address}`, at);
    },
  };
}
