import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, encodePng, PNG_SIGNATURE } from "@/lib/models/png";

type Chunk = { type: string; data: Buffer; crc: number; crcOfContent: number };

function readChunks(png: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    chunks.push({
      type,
      data,
      crc: png.readUInt32BE(offset + 8 + length),
      crcOfContent: crc32(png.subarray(offset + 4, offset + 8 + length)),
    });
    offset += 12 + length;
  }
  return chunks;
}

/** A straightforward PNG decoder for 8-bit RGB: enough to prove the bytes round-trip. */
function decodeRgb(png: Buffer): { width: number; height: number; pixels: Uint8Array } {
  const chunks = readChunks(png);
  const ihdr = chunks[0].data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(chunks.filter((chunk) => chunk.type === "IDAT").map((chunk) => chunk.data)));
  const stride = width * 3;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const left = x >= 3 ? pixels[y * stride + x - 3] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const upLeft = x >= 3 && y > 0 ? pixels[(y - 1) * stride + x - 3] : 0;
      const p = left + up - upLeft;
      const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
      const paeth = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      const predictor = [0, left, up, (left + up) >> 1, paeth][filter];
      if (predictor === undefined) throw new Error(`bad filter ${filter}`);
      pixels[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, pixels };
}

function testPixels(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      pixels[o] = (x * 7) & 0xff;
      pixels[o + 1] = (y * 13) & 0xff;
      pixels[o + 2] = (x * y + 5) & 0xff;
    }
  }
  return pixels;
}

describe("encodePng", () => {
  it("starts with the PNG signature", () => {
    const png = encodePng({ width: 2, height: 2, pixels: new Uint8Array(12) });
    expect(PNG_SIGNATURE).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it("writes IHDR first, IEND last, with the size and 8-bit truecolour", () => {
    const png = encodePng({ width: 300, height: 17, pixels: testPixels(300, 17) });
    const chunks = readChunks(png);
    expect(chunks.map((chunk) => chunk.type)).toEqual(["IHDR", "IDAT", "IEND"]);
    const ihdr = chunks[0].data;
    expect(ihdr.length).toBe(13);
    expect(ihdr.readUInt32BE(0)).toBe(300);
    expect(ihdr.readUInt32BE(4)).toBe(17);
    expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    expect(chunks[2].data.length).toBe(0);
  });

  it("gives every chunk a valid CRC", () => {
    const png = encodePng({ width: 31, height: 9, pixels: testPixels(31, 9) });
    for (const chunk of readChunks(png)) expect(chunk.crc, chunk.type).toBe(chunk.crcOfContent);
    // The IEND CRC is a well-known constant.
    expect(png.subarray(-4).toString("hex")).toBe("ae426082");
  });

  it("matches the reference CRC-32", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("decodes back to exactly the pixels it was given", () => {
    const pixels = testPixels(64, 48);
    const decoded = decodeRgb(encodePng({ width: 64, height: 48, pixels }));
    expect(decoded.width).toBe(64);
    expect(decoded.height).toBe(48);
    expect(Buffer.from(decoded.pixels).equals(Buffer.from(pixels))).toBe(true);
    const at = (x: number, y: number) => [...decoded.pixels.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
    expect(at(0, 0)).toEqual([0, 0, 5]);
    expect(at(10, 3)).toEqual([70, 39, 35]);
    expect(at(63, 47)).toEqual([(63 * 7) & 0xff, (47 * 13) & 0xff, (63 * 47 + 5) & 0xff]);
  });

  it("encodes a single pixel", () => {
    const decoded = decodeRgb(encodePng({ width: 1, height: 1, pixels: new Uint8Array([255, 128, 1]) }));
    expect([...decoded.pixels]).toEqual([255, 128, 1]);
  });

  it("rejects pixel data of the wrong length or an impossible size", () => {
    expect(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(11) })).toThrow(RangeError);
    expect(() => encodePng({ width: 0, height: 2, pixels: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodePng({ width: 1.5, height: 2, pixels: new Uint8Array(9) })).toThrow(RangeError);
  });
});
