import { json, withUser } from "@/lib/http/with-user";
import { readJsonBody } from "@/lib/http/read-json-body";
import { createPrediction } from "@/lib/predictions/create-prediction";
import { webhookUrlFor } from "@/lib/predictions/webhook-url";
import { createPredictionBodySchema } from "./schema";

/** Starts a prediction on the chosen model (the default when none) for the signed-in person: 201 with the prediction. */
export const POST = withUser(async ({ request, user, context }) => {
  const { model, input } = await readJsonBody(request, createPredictionBodySchema);
  const view = await createPrediction({
    user,
    backend: context.backendFor(user),
    engine: context.model,
    model: await context.catalog.resolve(model),
    input,
    limits: context.env.limits,
    webhookUrl: webhookUrlFor(context.env),
    inputs: { backend: context.inputsFor(user), limits: context.env.inputs },
  });
  return json(view, { status: 201 });
});
