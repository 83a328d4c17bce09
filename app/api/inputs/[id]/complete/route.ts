import { json, withUser } from "@/lib/http/with-user";
import { completeUpload } from "@/lib/inputs/input-images";

/**
 * The browser has sent the bytes: the server reads what was stored and checks
 * it (type from its first bytes, size, pixels). 200 with the input's view, or
 * the refusal's status and message, and then neither file nor row is left.
 */
export const POST = withUser<{ id: string }>(async ({ user, context, params }) => {
  return json(await completeUpload({ user, inputs: context.inputsFor(user), id: params.id, limits: context.env.inputs }));
});
