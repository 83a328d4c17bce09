import type { z } from "zod";
import { AppError, type FieldErrors } from "@/lib/errors";

/** Request bodies here are a few hundred bytes; anything near this is abuse. */
export const MAX_JSON_BODY_BYTES = 16 * 1024;

/**
 * Reads and validates a JSON body: 415 for another content type, 413 when too
 * large, 400 when it is not JSON, 422 with field errors when it does not match.
 */
export async function readJsonBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new AppError("unsupported_media_type", "Send the body as JSON (content-type: application/json).");
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BODY_BYTES) throw tooLarge();

  const text = await readLimitedText(request);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "The request body is not valid JSON.");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AppError("invalid_input", "Some fields need a look.", { fields: toFieldErrors(parsed.error) });
  }
  return parsed.data;
}

/** Field errors keyed by the field's name inside `input` (e.g. "prompt"), as forms show them. */
export function toFieldErrors(error: z.ZodError): FieldErrors {
  // No prototype: a field named by the client (an unknown key such as
  // `__proto__`) must be a plain entry, not Object.prototype.
  const fields: FieldErrors = Object.create(null);
  for (const issue of error.issues) {
    const path = issue.path[0] === "input" && issue.path.length > 1 ? issue.path.slice(1) : issue.path;
    const key = issue.code === "unrecognized_keys" ? issue.keys.join(", ") : path.join(".") || "body";
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

async function readLimitedText(request: Request): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_JSON_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

function tooLarge() {
  return new AppError("payload_too_large", `The request body must be under ${MAX_JSON_BODY_BYTES / 1024} KB.`);
}
