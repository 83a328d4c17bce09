"use server";

import { revalidatePath } from "next/cache";
import { actionWithUser } from "@/lib/auth/action-with-user";
import { deleteImage as deleteOwnImage } from "@/lib/predictions/gallery";
import type { ActionResult } from "@/lib/predictions/types";

/** Deletes one of the signed-in person's images: its row and its file. */
export async function deleteImage(imageId: string): Promise<ActionResult<object>> {
  const result = await actionWithUser(async ({ user, context }) => {
    await deleteOwnImage({ user, backend: context.backendFor(user), imageId: String(imageId) });
    return {};
  });
  if (result.ok) revalidatePath("/dashboard");
  return result;
}
