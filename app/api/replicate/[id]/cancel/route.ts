import { json, withUser } from "@/lib/http/with-user";
import { cancelPrediction } from "@/lib/predictions/cancel-prediction";

/** Cancels the signed-in person's prediction; 404 for anyone else's. */
export const POST = withUser<{ id: string }>(async ({ user, context, params }) => {
  const view = await cancelPrediction({ user, backend: context.backendFor(user), model: context.model, id: params.id });
  return json(view);
});
