import { z } from "zod";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The model's inputs, as an object of names to values. What the names and
 * values may be is the chosen model's business (lib/models/input-validator.ts);
 * here only the shape. A `__proto__` key is refused outright: a record parser
 * would drop it silently, and nothing legitimate is ever called that.
 */
const modelInput = z.unknown().superRefine((value, context) => {
  if (!isPlainObject(value)) {
    context.addIssue({ code: "custom", message: "input must be an object of the model's inputs." });
  } else if (Object.hasOwn(value, "__proto__")) {
    context.addIssue({ code: "custom", path: ["__proto__"], message: "Unknown field: __proto__." });
  }
}) as z.ZodType<Record<string, unknown>>;

/** The shape of `POST /api/replicate`: which model (the default when left out), and its input. */
export const createPredictionBodySchema = z.strictObject(
  {
    model: z.string({ error: "model must be text." }).min(1).max(300).optional(),
    input: modelInput,
  },
  {
    error: (issue) => (issue.code === "unrecognized_keys" ? `Unknown field: ${issue.keys.join(", ")}.` : undefined),
  },
);
