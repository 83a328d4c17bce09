import { readJsonBody } from "@/lib/http/read-json-body";
import { json, withUser } from "@/lib/http/with-user";
import { inputFromGalleryImage, startUpload } from "@/lib/inputs/input-images";
import { startInputBodySchema } from "./schema";

/**
 * Starts an input image: 201 with `{ ref, id, upload }` (where the browser
 * sends the bytes), or, for `{ fromImage }`, 201 with the ready input copied
 * from one of the person's gallery images.
 */
export const POST = withUser(async ({ request, user, context }) => {
  const body = await readJsonBody(request, startInputBodySchema);
  const inputs = context.inputsFor(user);
  const limits = context.env.inputs;
  if ("fromImage" in body) {
    const view = await inputFromGalleryImage({ user, backend: context.backendFor(user), inputs, imageId: body.fromImage, limits });
    return json(view, { status: 201 });
  }
  return json(await startUpload({ user, inputs, contentType: body.contentType, bytes: body.bytes, limits }), { status: 201 });
});
