import { json, withUser } from "@/lib/http/with-user";
import { readJsonBody } from "@/lib/http/read-json-body";
import { createPrediction } from "@/lib/predictions/create-prediction";
import { applyEarlyWebhooks } from "@/lib/predictions/replicate-webhook";
import { webhookUrlFor } from "@/lib/predictions/webhook-url";
import { createPredictionBodySchema } from "./schema";

/**
 * Starts a prediction on the chosen model (the default when none) for the
 * signed-in person: 201 with the prediction. With webhooks, a delivery that
 * beat the row here (a model faster than the create's round trip) is applied
 * now that the row exists, so its images are saved even if nobody polls.
 */
export const POST = withUser(async ({ request, user, context }) => {
  const { model, input } = await readJsonBody(request, createPredictionBodySchema);
  const webhookUrl = webhookUrlFor(context.env);
  const view = await createPrediction({
    user,
    backend: context.backendFor(user),
    engine: context.model,
    model: await context.catalog.resolve(model),
    input,
    limits: context.env.limits,
    webhookUrl,
    inputs: { backend: context.inputsFor(user), limits: context.env.inputs },
  });
  if (webhookUrl) {
    await applyEarlyWebhooks({ backend: context.serviceBackend(), model: context.model, predictionId: view.id, maxBytes: context.env.limits.maxOutputBytes })
      // The prediction is started and recorded: a failure here is for the poll and reconcile to mend, not a failed create.
      .catch((error: unknown) => console.error(`Early webhooks for ${view.id} could not be applied`, error));
  }
  return json(view, { status: 201 });
});
