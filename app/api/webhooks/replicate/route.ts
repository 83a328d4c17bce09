import { after } from "next/server";
import { errorResponse } from "@/lib/errors";
import { handleReplicateWebhook, webhookSecretsOf } from "@/lib/predictions/replicate-webhook";
import { getAppContext } from "@/lib/server-context";

/**
 * Replicate calls this as a prediction starts, logs progress and finishes
 * (only when created with a webhook: see lib/predictions/webhook-url.ts). The
 * row is updated before answering; the image is saved afterwards (`after`),
 * because Replicate expects a 2xx within seconds; a save that fails there is
 * retried by polls and reconcile.
 */
export async function POST(request: Request): Promise<Response> {
  try {
    const context = await getAppContext();
    return await handleReplicateWebhook(request, {
      secrets: webhookSecretsOf(context.env),
      model: context.model,
      backend: context.serviceBackend(),
      maxBytes: context.env.limits.maxOutputBytes,
      defer: after,
    });
  } catch (error) {
    return errorResponse(error);
  }
}
