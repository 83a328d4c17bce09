import { randomUUID } from "node:crypto";
import { AppError } from "@/lib/errors";
import { ACCEPTED_TYPES, checkInputImage, tooLarge, type InputLimits } from "@/lib/inputs/check-input-image";
import { inputRef, inputRefsOf } from "@/lib/inputs/input-ref";
import type { InputBackend, InputRow, UploadTarget } from "@/lib/inputs/ports";
import type { ImageModel } from "@/lib/models/image-model";
import type { InputValues } from "@/lib/models/input-fields";
import type { Backend, SessionUser } from "@/lib/predictions/ports";

/**
 * Input images, from the browser to the model:
 *
 * 1. `startUpload`: the browser says what it is about to send (type, bytes); the
 *    server refuses what is plainly too large or not an image, chooses the id
 *    and the path (`<user id>/inputs/<id>.<ext>`), records a pending row and
 *    hands back where to send the bytes: a signed upload URL for that one path
 *    (cloud), or the app's streaming upload route (local).
 * 2. The browser sends the bytes there, never through a JSON request body.
 * 3. `completeUpload`: the server reads what was stored and checks it (type
 *    from the bytes, size, pixels); a refused file is removed with its row.
 * 4. At create, `resolveInputs` checks every `input:<id>` is the person's own,
 *    reads and checks the bytes again, and hands them to the model
 *    (ImageModel.uploadInputFile: Replicate's Files API, or the local model's
 *    folder), which answers with what its `uri` input takes.
 */

export type InputImageView = {
  /** What the form holds and the prediction stores. */
  ref: string;
  id: string;
  /** For showing it: a same-origin route (local) or a short-lived signed URL (cloud). */
  url: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
};

const EXTENSIONS: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function startUpload({
  user,
  inputs,
  contentType,
  bytes,
  limits,
}: {
  user: SessionUser;
  inputs: InputBackend;
  contentType: string;
  bytes: number;
  limits: InputLimits;
}): Promise<{ ref: string; id: string; upload: UploadTarget }> {
  // Only what the browser claims: a quick, friendly refusal. The stored bytes are checked in completeUpload.
  if (!(ACCEPTED_TYPES as readonly string[]).includes(contentType)) {
    throw new AppError("unsupported_media_type", "Choose a PNG, JPEG or WebP image.");
  }
  if (bytes > limits.maxBytes) throw tooLarge(bytes, limits);
  const row = await newInputRow({ user, inputs, contentType });
  return { ref: inputRef(row.id), id: row.id, upload: await inputs.files.uploadTarget({ path: row.storage_path, contentType }) };
}

async function newInputRow({ user, inputs, contentType }: { user: SessionUser; inputs: InputBackend; contentType: string }): Promise<InputRow> {
  const id = randomUUID();
  return inputs.rows.insertInput({
    id,
    user_id: user.id,
    storage_path: `${user.id}/inputs/${id}.${EXTENSIONS[contentType]}`,
    content_type: contentType as InputRow["content_type"],
  });
}

/** The person's own input, or 404 (whether it is someone else's or does not exist). */
export async function requireOwnInput({ user, inputs, id }: { user: SessionUser; inputs: InputBackend; id: string }): Promise<InputRow> {
  const [row] = UUID.test(id) ? await inputs.rows.getInputs({ ids: [id], userId: user.id }) : [];
  if (!row) throw new AppError("not_found", "That input image was not found.");
  return row;
}

/** Checks the stored bytes; a refused file leaves neither file nor row behind. Idempotent. */
export async function completeUpload({
  user,
  inputs,
  id,
  limits,
}: {
  user: SessionUser;
  inputs: InputBackend;
  id: string;
  limits: InputLimits;
}): Promise<InputImageView> {
  const row = await requireOwnInput({ user, inputs, id });
  if (row.status === "ready") return (await inputViews({ user, inputs, ids: [row.id] }))[0];
  const body = await inputs.files.read({ path: row.storage_path });
  if (!body) throw new AppError("conflict", "The image has not arrived yet. Try uploading it again.");
  try {
    const checked = await checkInputImage(body, limits);
    await inputs.rows.markReady({ id, userId: user.id, contentType: checked.type.contentType, bytes: checked.bytes, width: checked.width, height: checked.height });
  } catch (error) {
    await discardInput({ user, inputs, row });
    throw error;
  }
  return (await inputViews({ user, inputs, ids: [row.id] }))[0];
}

export async function discardInput({ user, inputs, row }: { user: SessionUser; inputs: InputBackend; row: InputRow }): Promise<void> {
  await inputs.files.remove({ path: row.storage_path }).catch(() => undefined);
  await inputs.rows.deleteInput({ id: row.id, userId: user.id });
}

/**
 * One of the person's gallery images as a new input: a copy, so deleting the
 * image later never takes an input away from a prediction that used it.
 */
export async function inputFromGalleryImage({
  user,
  backend,
  inputs,
  imageId,
  limits,
}: {
  user: SessionUser;
  backend: Backend;
  inputs: InputBackend;
  imageId: string;
  limits: InputLimits;
}): Promise<InputImageView> {
  const image = UUID.test(imageId) ? await backend.rows.getImage({ id: imageId, userId: user.id }) : null;
  const body = image ? await inputs.files.read({ path: image.storage_path }) : null;
  if (!image || !body) throw new AppError("not_found", "That image was not found.");
  const row = await newInputRow({ user, inputs, contentType: image.content_type });
  try {
    await inputs.files.write({ path: row.storage_path, body, contentType: image.content_type, maxBytes: limits.maxBytes });
  } catch (error) {
    await discardInput({ user, inputs, row });
    throw error;
  }
  return completeUpload({ user, inputs, id: row.id, limits });
}

/** The person's ready inputs with the URLs to show them; ids not theirs (or not ready) are left out. */
export async function inputViews({ user, inputs, ids }: { user: SessionUser; inputs: InputBackend; ids: string[] }): Promise<InputImageView[]> {
  const rows = (await inputs.rows.getInputs({ ids: [...new Set(ids)].filter((id) => UUID.test(id)), userId: user.id })).filter(
    (row) => row.status === "ready",
  );
  const urls = await inputs.files.displayUrls({ paths: rows.map((row) => row.storage_path) });
  return rows.map((row) => ({
    ref: inputRef(row.id),
    id: row.id,
    url: urls.get(row.storage_path) ?? "",
    contentType: row.content_type,
    bytes: row.bytes ?? 0,
    width: row.width ?? 0,
    height: row.height ?? 0,
  }));
}

/** Views of every input an input refers to, by input name. */
export async function inputViewsOf({
  user,
  inputs,
  input,
}: {
  user: SessionUser;
  inputs: InputBackend;
  input: Record<string, unknown>;
}): Promise<Record<string, InputImageView>> {
  const refs = inputRefsOf(input);
  if (refs.length === 0) return {};
  const views = new Map((await inputViews({ user, inputs, ids: refs.map((ref) => ref.id) })).map((view) => [view.id, view]));
  return Object.fromEntries(refs.flatMap(({ name, id }) => (views.has(id) ? [[name, views.get(id)!]] : [])));
}

/**
 * The checked input with every `input:<id>` replaced by what the model takes.
 * The bytes are read and checked again here (a row can be marked ready by its
 * owner through PostgREST; the file is the authority), then handed to the
 * model. `used` is what to record once the prediction exists.
 */
export async function resolveInputs({
  user,
  inputs,
  engine,
  input,
  limits,
}: {
  user: SessionUser;
  inputs: InputBackend | undefined;
  engine: ImageModel;
  input: InputValues;
  limits: InputLimits | undefined;
}): Promise<{ sent: InputValues; used: Array<{ name: string; id: string }> }> {
  const used = inputRefsOf(input);
  if (used.length === 0) return { sent: input, used };
  if (!inputs || !limits) throw new AppError("invalid_input", "Image inputs cannot be used here.");
  const rows = new Map((await inputs.rows.getInputs({ ids: used.map((ref) => ref.id), userId: user.id })).map((row) => [row.id, row]));
  const missing = used.filter((ref) => rows.get(ref.id)?.status !== "ready");
  if (missing.length > 0) {
    throw new AppError("invalid_input", "An input image is not available.", {
      fields: Object.fromEntries(missing.map((ref) => [ref.name, ["This image is not available any more. Choose it again."]])),
    });
  }
  // Marked before the model is called, so the clean-up never removes an input a create is using.
  await inputs.rows.markUsed({ ids: used.map((ref) => ref.id), userId: user.id, at: new Date().toISOString() });
  const sent: InputValues = { ...input };
  await Promise.all(
    used.map(async ({ name, id }) => {
      const row = rows.get(id)!;
      const body = await inputs.files.read({ path: row.storage_path });
      if (!body) throw new AppError("invalid_input", "An input image is not available.", { fields: { [name]: ["This image is not available any more. Choose it again."] } });
      const checked = await checkInputImage(body, limits, { keep: true });
      sent[name] = await engine.uploadInputFile({
        bytes: checked.data!,
        contentType: checked.type.contentType,
        filename: `${name}.${checked.type.extension}`,
      });
    }),
  );
  return { sent, used };
}
