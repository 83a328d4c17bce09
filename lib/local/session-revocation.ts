import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import type { SessionClaims } from "@/lib/local/session-token";

/**
 * Whether a verified session token is still in force: its user exists, it was
 * not signed out (local_auth.revoked_sessions), and it was issued in the
 * user's current session generation (raised by a password change).
 *
 * The hot path is one in-memory lookup: each answer is kept for
 * SESSION_CHECK_CACHE_MS, so a busy session costs one small query every few
 * seconds. What this server revokes it forgets at once; another server on the
 * same database may go on accepting a signed-out token for up to
 * SESSION_CHECK_CACHE_MS, the staleness allowed here. (Local mode runs one
 * process per data folder, since PGlite cannot be shared between processes;
 * the bound matters for several backends in one process, and would for a
 * shared Postgres.)
 */
export const SESSION_CHECK_CACHE_MS = 5_000;
const MAX_CACHED = 10_000;

type Verdict = { active: boolean; until: number };

export type SessionRevocation = {
  isActive(claims: SessionClaims): Promise<boolean>;
  /** The user's generation for a new session. */
  currentGeneration(userId: string): Promise<number>;
  revoke(claims: SessionClaims): Promise<void>;
  /** Drops every cached answer (after a password change or an account deletion on this server). */
  forgetCached(): void;
};

export function createSessionRevocation({ db, now = () => Date.now() }: { db: PGlite; now?: () => number }): SessionRevocation {
  const verdicts = new Map<string, Verdict>();
  const remember = (sessionId: string, verdict: Verdict) => {
    // Bounded, so a flood of sessions cannot grow it without end.
    if (verdicts.size >= MAX_CACHED) verdicts.clear();
    verdicts.set(sessionId, verdict);
  };

  return {
    async isActive(claims) {
      const at = now();
      const cached = verdicts.get(claims.sessionId);
      if (cached && at < cached.until) return cached.active;
      const { rows } = await db.query<{ user_exists: boolean; revoked: boolean; generation: number | null }>(
        `select exists (select 1 from auth.users where id = $2) as user_exists,
                exists (select 1 from local_auth.revoked_sessions where session_id = $1) as revoked,
                (select generation from local_auth.session_generations where user_id = $2) as generation`,
        [claims.sessionId, claims.user.id],
      );
      const { user_exists, revoked, generation } = rows[0];
      const active = user_exists && !revoked && claims.generation >= (generation ?? 0);
      // An ended session stays ended: no need to ask again before the token expires.
      remember(claims.sessionId, { active, until: active ? at + SESSION_CHECK_CACHE_MS : claims.expiresAt });
      return active;
    },

    async currentGeneration(userId) {
      const { rows } = await db.query<{ generation: number }>(
        "select generation from local_auth.session_generations where user_id = $1",
        [userId],
      );
      return rows[0]?.generation ?? 0;
    },

    async revoke(claims) {
      await db.transaction(async (tx) => {
        await tx.query(
          "insert into local_auth.revoked_sessions (session_id, expires_at) values ($1, $2) on conflict do nothing",
          [claims.sessionId, new Date(claims.expiresAt).toISOString()],
        );
        // A revoked token past its expiry is refused anyway: its row can go.
        await tx.query("delete from local_auth.revoked_sessions where expires_at < $1", [new Date(now()).toISOString()]);
      });
      remember(claims.sessionId, { active: false, until: claims.expiresAt });
    },

    forgetCached() {
      verdicts.clear();
    },
  };
}
