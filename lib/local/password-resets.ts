import "server-only";
import { createHash, randomBytes } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import { normalizeEmail } from "@/lib/local/users";

/** How long a reset link works. */
export const RESET_LINK_TTL_MS = 60 * 60_000;

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * A one-time reset token for the account with this email, or null when there
 * is none. Only its hash is stored, so the database alone cannot reset anyone.
 */
export async function createPasswordReset(db: PGlite, { email, now = Date.now() }: { email: string; now?: number }): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>("select id from auth.users where email = $1", [normalizeEmail(email)]);
  const user = rows[0];
  if (!user) return null;
  const token = randomBytes(32).toString("base64url");
  await db.transaction(async (tx) => {
    await tx.query("delete from local_auth.password_resets where expires_at < $1", [new Date(now).toISOString()]);
    await tx.query("insert into local_auth.password_resets (token_hash, user_id, expires_at) values ($1, $2, $3)", [
      hash(token),
      user.id,
      new Date(now + RESET_LINK_TTL_MS).toISOString(),
    ]);
  });
  return token;
}

/** The user a live token belongs to, spending it (and every other link of theirs); null when it is unknown, used or expired. */
export async function consumePasswordReset(db: PGlite, { token, now = Date.now() }: { token: string; now?: number }): Promise<{ id: string; email: string } | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; email: string }>(
      `select u.id, u.email from local_auth.password_resets r join auth.users u on u.id = r.user_id
       where r.token_hash = $1 and r.expires_at >= $2`,
      [hash(token), new Date(now).toISOString()],
    );
    const user = rows[0];
    if (user) await tx.query("delete from local_auth.password_resets where user_id = $1", [user.id]);
    return user ?? null;
  });
}
