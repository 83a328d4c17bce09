/**
 * Image headers read in place, without decoding: PNG's IHDR, the JPEG frame
 * header found by walking the marker segments, and the first WebP chunk. Each
 * says the size, that the bytes are not an image it can read (null), or how
 * much more of the file it needs (a PendingScan).
 */
export type ImageSize = { width: number; height: number };

/**
 * Not yet known: `need` is the total prefix length worth trying again at. A
 * JPEG scan can restart at `resumeAt` (every marker before it is skipped), so
 * a stream holds none of the bytes before it and reads each byte once.
 */
export type PendingScan = { need: number; resumeAt: number; jpeg: boolean };
export type HeaderScan = ImageSize | null | PendingScan;

export function isPending(scan: HeaderScan): scan is PendingScan {
  return scan !== null && "need" in scan;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SOI = [0xff, 0xd8, 0xff];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

/** Reads a prefix of the file from its first byte. */
export function scanImageHeader(bytes: Uint8Array): HeaderScan {
  const png = matches(bytes, PNG_SIGNATURE, 0);
  if (png === true) return pngSize(bytes);
  const jpeg = matches(bytes, JPEG_SOI, 0);
  // The SOI's own 0xFF 0xD8 are behind us; the third byte opens the first marker.
  if (jpeg === true) return scanJpegMarkers(bytes, 2, 0);
  const riff = matches(bytes, RIFF, 0);
  const webp = riff === true ? matches(bytes, WEBP, 8) : riff;
  if (webp === true) return webpSize(bytes);
  // Still a prefix of some signature: the three start with different bytes, so at most one.
  if (png === "partial" || jpeg === "partial") return more(bytes.length + 1);
  if (webp === "partial") return more(12);
  return null;
}

function matches(bytes: Uint8Array, signature: number[], offset: number): boolean | "partial" {
  const available = Math.max(0, Math.min(signature.length, bytes.length - offset));
  for (let index = 0; index < available; index++) {
    if (bytes[offset + index] !== signature[index]) return false;
  }
  return available === signature.length ? true : "partial";
}

function pngSize(bytes: Uint8Array): HeaderScan {
  // IHDR must be the first chunk (PNG spec 5.6): length, "IHDR", width, height.
  if (bytes.length < 24) return more(24);
  if (ascii(bytes, 12, 4) !== "IHDR") return null;
  const view = dataView(bytes);
  // The spec limits each dimension to 1..2^31-1.
  return positive(view.getUint32(16), view.getUint32(20), 0x7fffffff);
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

/**
 * Walks the marker segments (ITU T.81 annex B) to the first frame header. Any
 * run of 0xFF fill bytes may precede a marker; RSTn, SOI and TEM stand alone;
 * every other marker carries a length that covers itself, so APPn segments
 * (EXIF, ICC, XMP, up to 64 KB each) are skipped rather than read.
 */
export function scanJpegMarkers(bytes: Uint8Array, from: number, base: number): HeaderScan {
  // Offsets are positions in the file; bytes[0] is the one at `base`.
  const end = base + bytes.length;
  const at = (offset: number) => bytes[offset - base];
  const wait = (need: number, resumeAt: number): PendingScan => ({ need, resumeAt, jpeg: true });
  let offset = from;
  for (;;) {
    if (offset >= end) return wait(offset + 1, offset);
    // A byte other than 0xFF where a marker belongs: not a JPEG decoders agree on.
    if (at(offset) !== 0xff) return null;
    while (offset + 1 < end && at(offset + 1) === 0xff) offset++;
    // Ends in fill bytes: resuming at the last one keeps the fill out of the next scan.
    if (offset + 1 >= end) return wait(offset + 2, offset);
    const marker = at(offset + 1);
    const segment = offset + 2;
    // 0xFF00 is a stuffed byte, valid only inside entropy-coded data.
    if (marker === 0x00) return null;
    if (marker === TEM || marker === SOI || (marker >= 0xd0 && marker <= 0xd7)) {
      offset = segment;
      continue;
    }
    // Image data or the end before any frame header: nothing here says the size.
    if (marker === SOS || marker === EOI) return null;
    if (segment + 2 > end) return wait(segment + 2, offset);
    const length = (at(segment) << 8) | at(segment + 1);
    if (isFrameHeader(marker)) {
      // Lf = 8 + 3 * Nf with at least one component; then P, Y (height), X (width).
      if (length < 11) return null;
      if (segment + 7 > end) return wait(segment + 7, offset);
      const height = (at(segment + 3) << 8) | at(segment + 4);
      const width = (at(segment + 5) << 8) | at(segment + 6);
      // Height 0 defers it to a DNL marker after the first scan, far past any header; treated as unknown.
      return positive(width, height, 0xffff);
    }
    if (length < 2) return null;
    // Past the end of what is here, this becomes the "need" above: a stream
    // resumes there without holding the segment it skips.
    offset = segment + length;
  }
}

/** SOF0..SOF15, less the three markers that share the range: DHT (C4), JPG (C8) and DAC (CC). */
function isFrameHeader(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * The first chunk after "RIFF....WEBP" says which of the three WebP forms this
 * is (RFC 9649): VP8 (lossy), VP8L (lossless) or VP8X (extended, which carries
 * the canvas size itself). Chunk data starts at byte 20.
 */
function webpSize(bytes: Uint8Array): HeaderScan {
  if (bytes.length < 20) return more(20);
  const view = dataView(bytes);
  switch (ascii(bytes, 12, 4)) {
    case "VP8 ": {
      // A key frame (tag bit 0 clear), the start code 9d 01 2a, then 14-bit
      // width and height whose top two bits are an upscaling hint, not size.
      if (bytes.length < 30) return more(30);
      if ((bytes[20] & 1) !== 0 || bytes[23] !== 0x9d || bytes[24] !== 0x01 || bytes[25] !== 0x2a) return null;
      return positive(view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff, 0x3fff);
    }
    case "VP8L": {
      // The 0x2f signature, then width-1 and height-1 in 14 bits each, one
      // alpha hint bit and a 3-bit version that must be 0.
      if (bytes.length < 25) return more(25);
      const bits = view.getUint32(21, true);
      if (bytes[20] !== 0x2f || bits >>> 29 !== 0) return null;
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case "VP8X": {
      // Flags and three reserved bytes, then canvas width-1 and height-1 in 24 bits each.
      if (bytes.length < 30) return more(30);
      const uint24 = (at: number) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
      return { width: uint24(24) + 1, height: uint24(27) + 1 };
    }
    default:
      return null;
  }
}

function more(need: number): PendingScan {
  return { need, resumeAt: 0, jpeg: false };
}

function positive(width: number, height: number, max: number): ImageSize | null {
  return width >= 1 && height >= 1 && width <= max && height <= max ? { width, height } : null;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
