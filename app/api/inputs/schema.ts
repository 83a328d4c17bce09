import { z } from "zod";

/**
 * `POST /api/inputs`: either "I am about to upload a file of this type and
 * size" (the answer says where to send it), or "use this gallery image of
 * mine" (the server copies it). Never a URL or a storage path: the server
 * chooses where inputs live.
 */
export const startInputBodySchema = z.union([
  z.strictObject({
    contentType: z.string().min(1).max(100),
    bytes: z.number().int().positive(),
  }),
  z.strictObject({
    fromImage: z.uuid({ error: "fromImage must be one of your images." }),
  }),
]);
