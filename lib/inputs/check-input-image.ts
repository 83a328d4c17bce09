import { AppError } from "@/lib/errors";
import { detectImageType, SIGNATURE_BYTES, type ImageType } from "@/lib/predictions/image-signature";
import { probeImageSize } from "@/lib/predictions/image-size";

/**
 * The server's check of an input image's bytes, wherever they are read from
 * (a stored upload, a gallery image, the file about to go to a model): the type
 * from its first bytes (PNG, JPEG or WebP; the name and the declared type count
 * for nothing), its size in bytes, and its pixel size from its header.
 */

export type InputLimits = { maxBytes: number; maxPixels: number };
/** Past this many pixels a side, no image model takes a picture, whatever its area. */
export const MAX_INPUT_SIDE = 16_384;

export type CheckedImage = { type: ImageType; bytes: number; width: number; height: number; data: Uint8Array | null };

export const ACCEPTED_TYPES: readonly ImageType["contentType"][] = ["image/png", "image/jpeg", "image/webp"];

export const formatMegabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

export function tooLarge(bytes: number | null, limits: InputLimits): AppError {
  const size = bytes === null ? "This file is" : `This file is ${formatMegabytes(bytes)}:`;
  return new AppError("payload_too_large", `${size} larger than the ${formatMegabytes(limits.maxBytes)} an input image may be.`);
}

export const notAnImage = () =>
  new AppError("unsupported_media_type", "This file is not a PNG, JPEG or WebP image, whatever its name says. Choose a picture in one of those formats.");

/** Reads the whole stream (keeping the bytes when `keep`), refusing it as soon as it fails a check. */
export async function checkInputImage(body: ReadableStream<Uint8Array>, limits: InputLimits, { keep = false } = {}): Promise<CheckedImage> {
  const probe = probeImageSize();
  const reader = body.pipeThrough(probe.transform).getReader();
  const chunks: Uint8Array[] = [];
  const head = new Uint8Array(SIGNATURE_BYTES);
  let bytes = 0;
  let type: ImageType | null = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (bytes < SIGNATURE_BYTES) head.set(value.subarray(0, SIGNATURE_BYTES - bytes), bytes);
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) throw tooLarge(null, limits);
      if (!type && bytes >= SIGNATURE_BYTES) {
        type = detectImageType(head);
        if (!type) throw notAnImage();
      }
      if (keep) chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  type ??= detectImageType(head.subarray(0, bytes));
  if (!type) throw notAnImage();
  const size = await probe.size;
  if (!size) throw new AppError("unsupported_media_type", "This image's size cannot be read: the file may be damaged. Try another picture.");
  const { width, height } = size;
  if (width * height > limits.maxPixels || width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE) {
    const megapixels = (limits.maxPixels / 1_000_000).toFixed(1);
    throw new AppError("invalid_input", `This image is ${width} × ${height} pixels: input images may have at most ${megapixels} megapixels. Scale it down and try again.`);
  }
  let data: Uint8Array | null = null;
  if (keep) {
    data = new Uint8Array(bytes);
    let offset = 0;
    for (const chunk of chunks) {
      data.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  return { type, bytes, width, height, data };
}
