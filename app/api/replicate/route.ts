import { json, withUser } from "@/lib/http/with-user";
import { readJsonBody } from "@/lib/http/read-json-body";
import { createPrediction } from "@/lib/predictions/create-prediction";
import { createPredictionBodySchema } from "@/lib/predictions/input-schema";
import { webhookUrlFor } from "@/lib/predictions/webhook-url";

/** Starts a prediction for the signed-in person: 201 with the prediction. */
export const POST = withUser(async ({ request, user, context }) => {
  const { input } = await readJsonBody(request, createPredictionBodySchema);
  const view = await createPrediction({
    user,
    backend: context.backendFor(user),
    model: context.model,
    input,
    limits: context.env.limits,
    webhookUrl: webhookUrlFor(context.env),
  });
  return json(view, { status: 201 });
});
