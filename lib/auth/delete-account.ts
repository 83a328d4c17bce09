import "server-only";
import type { CookieJar } from "@/lib/auth/auth-service";
import type { SessionUser } from "@/lib/predictions/ports";
import type { AppContext } from "@/lib/server-context";

/**
 * Deletes a person and everything of theirs, in both modes: first their files
 * in every bucket (while the account still exists, so nothing is orphaned if
 * this fails half way: running it again finishes the job), then the account,
 * whose rows go with it through the foreign keys, and this browser's session.
 */
export async function deleteAccount({ context, user, cookies }: { context: AppContext; user: SessionUser; cookies: CookieJar }): Promise<void> {
  await context.purgeUserFiles(user);
  await context.auth.deleteAccount(user, cookies);
}
