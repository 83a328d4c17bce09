import { asAppError } from "@/lib/errors";
import { json, withUser } from "@/lib/http/with-user";
import { imageViewsOf, readPrediction } from "@/lib/predictions/read-prediction";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import { webhookUrlFor } from "@/lib/predictions/webhook-url";

// Polled every second or so by every open tab: see json() on why uncompressed.
const UNCOMPRESSED = { compress: false };

/**
 * The owner's prediction, with progress and `pollAfterMs`, the server's hint
 * for the next poll. It answers from the row unless a read of the model is due
 * (see lib/predictions/shared-read.ts). The first poll that sees `succeeded`
 * also saves the images on the server, so they are kept even if the page that
 * started it is closed right after.
 */
export const GET = withUser<{ id: string }>(async ({ user, context, params }) => {
  const backend = context.backendFor(user);
  const webhooks = webhookUrlFor(context.env) !== undefined;
  const { view, unsaved } = await readPrediction({ user, backend, model: context.model, id: params.id, webhooks });
  if (!unsaved) return json(view, UNCOMPRESSED);
  try {
    const { images, failures } = await saveGeneratedImages({
      userId: user.id,
      predictionId: view.id,
      backend,
      model: context.model,
      maxBytes: context.env.limits.maxOutputBytes,
      fresh: unsaved,
    });
    const missing = failures.length > 0 ? `${failures.length} of the images could not be saved: ${failures[0].error.message}` : null;
    return json({ ...view, images: await imageViewsOf(backend, images), error: missing ?? view.error }, UNCOMPRESSED);
  } catch (error) {
    return json({ ...view, error: `The image could not be saved: ${asAppError(error).message}` }, UNCOMPRESSED);
  }
});
