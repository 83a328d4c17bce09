/**
 * The real pixel size of a PNG, JPEG or WebP, read from the header in its
 * first bytes, so a saved image records what the model produced rather than
 * what the form asked for.
 */
import {
  type ImageSize,
  isPending,
  type PendingScan,
  scanImageHeader,
  scanJpegMarkers,
} from "@/lib/predictions/image-headers";

export type { ImageSize };

/**
 * Reads the size from a prefix of the file: "need-more" when the header is not
 * within `head` yet (an empty prefix included), null when the bytes are not a
 * PNG, JPEG or WebP this can read.
 */
export function readImageSize(head: Uint8Array): ImageSize | null | "need-more" {
  const probe = scanImageHeader(head);
  return isPending(probe) ? "need-more" : probe;
}

/** The most of the file a probe holds at once; a header that needs more gives null. */
export const MAX_PROBE_BYTES = 256 * 1024;

/**
 * A pass-through stream that reads the image size on the way: every chunk goes
 * on untouched, and only the bytes the header needs are copied aside (for a
 * JPEG not even the APPn segments it skips, so a 1 MB ICC profile costs no
 * memory). `size` resolves once the header has gone through, or null when the
 * stream ends, is cancelled or aborted first, or the header would need more
 * than `maxBytes` held at once.
 */
export function probeImageSize({ maxBytes = MAX_PROBE_BYTES }: { maxBytes?: number } = {}): {
  transform: TransformStream<Uint8Array, Uint8Array>;
  size: Promise<ImageSize | null>;
} {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError("maxBytes must be a positive integer.");
  let resolveSize!: (size: ImageSize | null) => void;
  const size = new Promise<ImageSize | null>((resolve) => (resolveSize = resolve));
  // `held` is a window on the stream: held[0] is the byte at `base`, and
  // base + length is where the stream has reached unless base is ahead of it.
  let held: Uint8Array | null = new Uint8Array(Math.min(4096, maxBytes));
  let base = 0;
  let length = 0;
  let received = 0;
  let pending: PendingScan = { need: 1, resumeAt: 0, jpeg: false };

  const settle = (result: ImageSize | null) => {
    // Dropping the window frees it for the rest of a long download.
    held = null;
    resolveSize(result);
  };

  const absorb = (chunk: Uint8Array) => {
    const start = received;
    received += chunk.byteLength;
    let from = Math.max(0, base - start);
    while (held && from < chunk.byteLength) {
      const take = Math.min(chunk.byteLength - from, maxBytes - length);
      if (length + take > held.byteLength) {
        const grown = new Uint8Array(Math.min(maxBytes, Math.max(length + take, held.byteLength * 2)));
        grown.set(held.subarray(0, length));
        held = grown;
      }
      held.set(chunk.subarray(from, from + take), length);
      length += take;
      from += take;
      if (base + length < pending.need) continue;
      const window = held.subarray(0, length);
      const probe = pending.jpeg ? scanJpegMarkers(window, pending.resumeAt, base) : scanImageHeader(window);
      if (!isPending(probe)) return settle(probe);
      // Never more than maxBytes held: a full window is always scanned, and the
      // scan either settles or lets the window move on past what it skipped.
      const keepFrom = probe.jpeg ? probe.resumeAt : 0;
      if (probe.need - keepFrom > maxBytes) return settle(null);
      if (keepFrom > base) {
        const drop = Math.min(length, keepFrom - base);
        held.copyWithin(0, drop, length);
        length -= drop;
        base = keepFrom;
        from = Math.max(from, base - start);
      }
      pending = probe;
    }
  };

  // Without `cancel` a download abandoned midway would leave `size` pending for
  // ever. Node calls it for a cancel or abort on either side; it is a recent
  // addition to the Streams spec that TypeScript's DOM types do not list yet.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel(reason: unknown): void } = {
    transform(chunk, controller) {
      // Copied aside before it is passed on, so nothing downstream can change what is read.
      absorb(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      settle(null);
    },
    cancel() {
      settle(null);
    },
  };
  return { transform: new TransformStream(transformer), size };
}

