import { asAppError } from "@/lib/errors";
import { json, withUser } from "@/lib/http/with-user";
import { imageViewOf, readPrediction } from "@/lib/predictions/read-prediction";
import { saveGeneratedImage } from "@/lib/predictions/save-image";

/**
 * The owner's prediction, with progress. The first poll that sees `succeeded`
 * also saves the image on the server, so it is kept even if the page that
 * started it is closed right after.
 */
export const GET = withUser<{ id: string }>(async ({ user, context, params }) => {
  const backend = context.backendFor(user);
  const { view, unsaved } = await readPrediction({ user, backend, model: context.model, id: params.id });
  if (!unsaved) return json(view);
  try {
    const image = await saveGeneratedImage({
      userId: user.id,
      predictionId: view.id,
      backend,
      model: context.model,
      maxBytes: context.env.limits.maxOutputBytes,
      fresh: unsaved,
    });
    return json({ ...view, image: await imageViewOf(backend, image) });
  } catch (error) {
    return json({ ...view, error: `The image could not be saved: ${asAppError(error).message}` });
  }
});
