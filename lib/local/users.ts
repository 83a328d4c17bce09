import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import { newPasswordProblem } from "@/lib/auth/password-rules";
import { getDecoyHash, hashPassword, verifyPassword } from "@/lib/local/passwords";
import type { SessionUser } from "@/lib/predictions/ports";

/**
 * auth.users is Supabase Auth's table; in local mode this module plays Auth's
 * part, so it works on it as the database owner (as GoTrue does), never as a
 * signed-in person.
 */

type UserRow = { id: string; email: string; encrypted_password: string };

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createUser(db: PGlite, args: { email: string; password: string }): Promise<SessionUser> {
  mustBeNewPassword(args.password);
  const email = normalizeEmail(args.email);
  const encrypted = await hashPassword(args.password);
  const result = await db.query<{ id: string; email: string }>(
    `insert into auth.users (email, encrypted_password) values ($1, $2)
     on conflict (email) do nothing
     returning id, email`,
    [email, encrypted],
  );
  const user = result.rows[0];
  if (!user) throw new AppError("conflict", "An account with this email already exists. Sign in instead.");
  return user;
}

/** The user for these credentials, or null; takes the same time whether or not the email exists. */
export async function verifyCredentials(
  db: PGlite,
  args: { email: string; password: string },
): Promise<SessionUser | null> {
  const result = await db.query<UserRow>(
    "select id, email, encrypted_password from auth.users where email = $1",
    [normalizeEmail(args.email)],
  );
  const user = result.rows[0];
  const matches = await verifyPassword(args.password, user?.encrypted_password ?? (await getDecoyHash()));
  return user && matches ? { id: user.id, email: user.email } : null;
}

/**
 * Sets a new password and ends every session the person has (in every
 * browser, on every server: lib/local/session-revocation.ts), as a password
 * change after a suspected leak must. They sign in again with the new one.
 */
export async function changePassword(db: PGlite, args: { userId: string; password: string }): Promise<void> {
  mustBeNewPassword(args.password);
  const encrypted = await hashPassword(args.password);
  await db.transaction(async (tx) => {
    const updated = await tx.query("update auth.users set encrypted_password = $2, updated_at = now() where id = $1", [args.userId, encrypted]);
    if (!updated.affectedRows) throw new AppError("not_found", "No such account.");
    await tx.query(
      `insert into local_auth.session_generations (user_id, generation) values ($1, 1)
       on conflict (user_id) do update set generation = local_auth.session_generations.generation + 1`,
      [args.userId],
    );
  });
}

/**
 * Deletes the account. Its rows go with it (every table's user_id references
 * auth.users on delete cascade), and so do its sessions: a session of a user
 * who no longer exists is refused (lib/local/session-revocation.ts).
 */
export async function deleteUser(db: PGlite, { userId, email }: { userId: string; email: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query("delete from auth.users where id = $1", [userId]);
    // The throttle's memory of the email: nothing of the person is kept.
    await tx.query("delete from local_auth.known_addresses where email = $1", [normalizeEmail(email)]);
    await tx.query("delete from local_auth.sign_in_attempts where key = $1 or key = $2", [
      `email:${normalizeEmail(email)}`,
      `mail:${normalizeEmail(email)}`,
    ]);
  });
}

/** The same rules as the forms (lib/auth/password-rules.ts), for any caller. */
function mustBeNewPassword(password: string) {
  const problem = newPasswordProblem(password);
  if (problem) throw new AppError("invalid_input", problem, { fields: { password: [problem] } });
}
