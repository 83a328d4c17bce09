import { createHash, timingSafeEqual } from "node:crypto";
import { AppError, errorResponse } from "@/lib/errors";
import { json } from "@/lib/http/with-user";
import { reconcileNow } from "@/lib/jobs/reconcile-job";
import { getAppContext } from "@/lib/server-context";

/**
 * Runs the reconcile step now: saves images of predictions that succeeded in
 * the last hour but were never saved, and cancels runs past their deadline.
 * Two callers, each with its own secret as `Authorization: Bearer <secret>`:
 * - POST with RECONCILE_SECRET: `npm run reconcile`, any cron job;
 * - GET with CRON_SECRET: Vercel Cron (vercel.json), which sends exactly that,
 *   for hosts that keep no server process running between requests.
 * Either secret is accepted by either method. With neither set the endpoint
 * does not exist (404).
 */
export const POST = run;
export const GET = run;

async function run(request: Request): Promise<Response> {
  try {
    const { env } = await getAppContext();
    const secrets = [env.reconcileSecret, env.cronSecret].filter((secret): secret is string => Boolean(secret));
    if (secrets.length === 0) throw new AppError("not_found", "Not found.");
    const header = request.headers.get("authorization");
    // Every secret is compared, so the time taken does not say which one was close.
    if (!secrets.map((secret) => bearerMatches(header, secret)).includes(true)) {
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
