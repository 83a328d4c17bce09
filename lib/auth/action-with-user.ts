import "server-only";
import { asAppError } from "@/lib/errors";
import type { SessionUser } from "@/lib/predictions/ports";
import type { ActionResult } from "@/lib/predictions/types";
import { requireUser, type AppContext } from "@/lib/server-context";

/**
 * The server-action twin of withUser: session first, then the action; errors
 * come back as `{ ok: false, error }` in words, never as a thrown stack.
 */
export async function actionWithUser<T extends object>(
  run: (args: { user: SessionUser; context: AppContext }) => Promise<T>,
): Promise<ActionResult<T>> {
  try {
    const { user, context } = await requireUser();
    return { ok: true, ...(await run({ user, context })) };
  } catch (error) {
    const appError = asAppError(error);
    return { ok: false, error: { code: appError.code, message: appError.message } };
  }
}
