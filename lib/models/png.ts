import { constants, deflateSync } from "node:zlib";

/**
 * A minimal PNG encoder (8-bit truecolour, no alpha) for the local preview
 * model, so local mode needs no image library. It writes the three chunks a
 * decoder requires: IHDR, one IDAT, IEND.
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// The table-driven CRC-32 of the PNG spec (Annex D). zlib.crc32 only exists in
// newer Node releases, and this is a dozen lines.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  // The CRC covers the type and the data, not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const MAX_SIDE = 16_384;

export function encodePng({ width, height, pixels }: { width: number; height: number; pixels: Uint8Array }): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new RangeError(`PNG size must be whole numbers from 1 to ${MAX_SIDE}, got ${width}x${height}.`);
  }
  const stride = width * 3;
  if (pixels.length !== stride * height) {
    throw new RangeError(`Expected ${stride * height} bytes of RGB pixels, got ${pixels.length}.`);
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace

  // Every row uses filter 2 ("Up": the difference from the row above). The
  // preview images are smooth, so the differences are mostly tiny and deflate
  // far better than the raw bytes, at the cost of one subtraction per byte.
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const out = y * (stride + 1);
    const row = y * stride;
    if (y === 0) {
      raw[out] = 0;
      raw.set(pixels.subarray(0, stride), out + 1);
      continue;
    }
    raw[out] = 2;
    const above = row - stride;
    for (let x = 0; x < stride; x++) raw[out + 1 + x] = (pixels[row + x] - pixels[above + x]) & 0xff;
  }

  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    // After the Up filter the data is long runs of small repeated values, which
    // run-length matching captures: for a 1024x1024 preview Z_RLE is ~8x faster
    // than the default strategy for ~20% more bytes (measured: ~15 ms vs ~150 ms).
    chunk("IDAT", deflateSync(raw, { strategy: constants.Z_RLE })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}
