import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
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

export async function userExists(db: PGlite, id: string): Promise<boolean> {
  const result = await db.query("select 1 from auth.users where id = $1", [id]);
  return result.rows.length > 0;
}
