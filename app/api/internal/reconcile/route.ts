import { createHash, timingSafeEqual } from "node:crypto";
import { AppError, errorResponse } from "@/lib/errors";
import { json } from "@/lib/http/with-user";
import { reconcileNow } from "@/lib/jobs/reconcile-job";
import { getAppContext } from "@/lib/server-context";

/**
 * Runs the reconcile step now (`npm run reconcile`, a cron job): saves images
 * of predictions that succeeded in the last hour but were never saved.
 * Answered only with `Authorization: Bearer <RECONCILE_SECRET>`; without that
 * setting the endpoint does not exist (404).
 */
export async function POST(request: Request): Promise<Response> {
  try {
    const { env } = await getAppContext();
    if (!env.reconcileSecret) throw new AppError("not_found", "Not found.");
    if (!bearerMatches(request.headers.get("authorization"), env.reconcileSecret)) {
      throw new AppError("unauthorized", "A valid reconcile token is required.");
    }
    return json(await reconcileNow());
  } catch (error) {
    return errorResponse(error);
  }
}

function bearerMatches(header: string | null, secret: string): boolean {
  const token = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  // Equal-length digests, so the comparison takes the same time whatever was sent.
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(token), digest(secret));
}
