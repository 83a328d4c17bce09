import { AppError } from "@/lib/errors";
import { json, withUser } from "@/lib/http/with-user";
import { notAnImage, tooLarge } from "@/lib/inputs/check-input-image";
import { discardInput, requireOwnInput } from "@/lib/inputs/input-images";
import { detectImageType, peekStream, SIGNATURE_BYTES } from "@/lib/predictions/image-signature";

/**
 * Local mode's stand-in for a signed upload URL: the raw bytes of one pending
 * input, streamed to disk as this person (storage policies apply), never held
 * whole in memory. proxy.ts leaves this route out, so Next passes the whole
 * body through (a proxied route sees only its first 10 MB). The size is
 * refused from Content-Length before reading, and again while streaming; a
 * body that does not start like an image is refused at its first bytes.
 * Whatever is refused leaves neither file nor row.
 */
export const PUT = withUser<{ id: string }>(async ({ request, user, context, params }) => {
  if (context.env.backend.kind !== "local") throw new AppError("not_found", "Not found.");
  const inputs = context.inputsFor(user);
  const limits = context.env.inputs;
  const row = await requireOwnInput({ user, inputs, id: params.id });
  if (row.status !== "pending") throw new AppError("conflict", "This input image has already been uploaded.");
  try {
    const declared = request.headers.get("content-length");
    if (declared !== null && Number(declared) > limits.maxBytes) throw tooLarge(Number(declared), limits);
    if (!request.body) throw notAnImage();
    const { head, body } = await peekStream(request.body, SIGNATURE_BYTES);
    if (!detectImageType(head)) {
      await body.cancel().catch(() => undefined);
      throw notAnImage();
    }
    const { bytes } = await inputs.files
      .write({ path: row.storage_path, body, contentType: row.content_type, maxBytes: limits.maxBytes })
      // The store's own words name bytes; a person gets megabytes.
      .catch((error: unknown) => {
        throw error instanceof AppError && error.code === "payload_too_large" ? tooLarge(null, limits) : error;
      });
    return json({ bytes });
  } catch (error) {
    await discardInput({ user, inputs, row });
    throw error;
  }
}, { body: "image" });
