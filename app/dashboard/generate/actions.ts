"use server";

import { actionWithUser } from "@/lib/auth/action-with-user";
import { imageViewsOf } from "@/lib/predictions/read-prediction";
import { saveGeneratedImages } from "@/lib/predictions/save-image";
import type { SaveImageResult } from "@/lib/predictions/types";

/**
 * Saves a finished prediction's images for the signed-in person. Only the id
 * comes from the browser: the prediction is read again on the server and must
 * belong to this person.
 */
export async function saveGeneratedImage(predictionId: string): Promise<SaveImageResult> {
  return actionWithUser(async ({ user, context }) => {
    const backend = context.backendFor(user);
    const { images } = await saveGeneratedImages({
      userId: user.id,
      predictionId: String(predictionId),
      backend,
      model: context.model,
      maxBytes: context.env.limits.maxOutputBytes,
    });
    return { images: await imageViewsOf(backend, images) };
  });
}
