import { z } from "zod";

/**
 * The shape of `POST /api/replicate`. What goes inside `input` is the chosen
 * model's business: its own schema checks it (lib/models/input-validator.ts).
 */
export const createPredictionBodySchema = z.strictObject(
  {
    model: z.string({ error: "model must be text." }).min(1).max(300).optional(),
    input: z.record(z.string().max(100), z.unknown(), { error: "input must be an object of the model's inputs." }),
  },
  {
    error: (issue) => (issue.code === "unrecognized_keys" ? `Unknown field: ${issue.keys.join(", ")}.` : undefined),
  },
);
