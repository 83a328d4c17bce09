import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { MAX_PROBE_BYTES, probeImageSize, readImageSize, type ImageSize } from "@/lib/predictions/image-size";

// A gradient sprinkled with noisy pixels rather than a flat colour, so the
// encoders write real image data after the header while files stay small
// enough (at most ~50 KB at 1344x768) to stream a byte at a time.
function picture(width: number, height: number, channels: 3 | 4): ReturnType<typeof sharp> {
  const pixels = Buffer.alloc(width * height * channels);
  let state = 0x2545f491;
  for (let index = 0; index < pixels.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const pixel = Math.floor(index / channels);
    const x = pixel % width;
    const y = Math.floor(pixel / width);
    pixels[index] = ((x >> 4) + (y >> 4) * 3 + ((state & 4095) === 0 ? (state >>> 8) & 0x7f : 0)) & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels } });
}

function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** Marker segments in file order, up to the first scan: where things are in a real JPEG. */
function jpegSegments(jpeg: Buffer): { marker: number; start: number; end: number }[] {
  const found = [];
  let offset = 2;
  while (jpeg[offset] === 0xff) {
    const marker = jpeg[offset + 1];
    const end = offset + 2 + jpeg.readUInt16BE(offset + 2);
    found.push({ marker, start: offset, end });
    if (marker === 0xda) break;
    offset = end;
  }
  return found;
}

/** Inserts bytes before the first segment with `marker`. */
function insertBefore(jpeg: Buffer, marker: number, extra: Buffer): Buffer {
  const at = jpegSegments(jpeg).find((found) => found.marker === marker)!.start;
  return Buffer.concat([jpeg.subarray(0, at), extra, jpeg.subarray(at)]);
}

const big = { width: 1344, height: 768 };
const tiny = { width: 7, height: 3 };

// Each fixture is made once, on first use, by the encoder a model's output
// would come from (or spliced from one of those, as noted).
const specs: { name: string; size: ImageSize; make: () => Promise<Buffer> }[] = [
  { name: "png 1344x768", size: big, make: () => picture(1344, 768, 3).png().toBuffer() },
  { name: "png 7x3", size: tiny, make: () => picture(7, 3, 3).png().toBuffer() },
  { name: "baseline jpeg 1344x768", size: big, make: () => picture(1344, 768, 3).jpeg().toBuffer() },
  { name: "baseline jpeg 7x3", size: tiny, make: () => picture(7, 3, 3).jpeg().toBuffer() },
  { name: "progressive jpeg 1344x768", size: big, make: () => picture(1344, 768, 3).jpeg({ progressive: true }).toBuffer() },
  {
    name: "jpeg with a 20 KB EXIF segment",
    size: tiny,
    make: () =>
      picture(7, 3, 3)
        .jpeg()
        .withExif({ IFD0: { ImageDescription: "a long caption ".repeat(1400) } })
        .toBuffer(),
  },
  // sharp's CMYK profile is about 1 MB, split over fifteen APP2 segments.
  { name: "jpeg with a 1 MB ICC profile", size: tiny, make: () => picture(7, 3, 3).jpeg().withIccProfile("cmyk").toBuffer() },
  { name: "lossy webp 1344x768", size: big, make: () => picture(1344, 768, 3).webp().toBuffer() },
  { name: "lossy webp 7x3", size: tiny, make: () => picture(7, 3, 3).webp().toBuffer() },
  { name: "lossless webp 1344x768", size: big, make: () => picture(1344, 768, 3).webp({ lossless: true }).toBuffer() },
  { name: "lossless webp 7x3", size: tiny, make: () => picture(7, 3, 3).webp({ lossless: true }).toBuffer() },
  { name: "webp with alpha 1344x768", size: big, make: () => picture(1344, 768, 4).webp().toBuffer() },
  { name: "webp with alpha 7x3", size: tiny, make: () => picture(7, 3, 4).webp().toBuffer() },
  // WebP's largest dimension fills all 14 bits.
  { name: "lossy webp 1x16383", size: { width: 1, height: 16383 }, make: () => picture(1, 16383, 3).webp().toBuffer() },
  {
    name: "lossless webp 16383x1",
    size: { width: 16383, height: 1 },
    make: () => picture(16383, 1, 3).webp({ lossless: true }).toBuffer(),
  },
  {
    // Huffman tables may come before the frame header; a DHT's bytes must not be read as a size.
    name: "jpeg with DHT before SOF",
    size: big,
    make: async () => {
      const baseline = await fixture("baseline jpeg 1344x768");
      const dht = jpegSegments(baseline).find((found) => found.marker === 0xc4)!;
      const withoutDht = Buffer.concat([baseline.subarray(0, dht.start), baseline.subarray(dht.end)]);
      return insertBefore(withoutDht, 0xc0, baseline.subarray(dht.start, dht.end));
    },
  },
  {
    // Fill bytes before markers and standalone markers between segments (T.81 B.1.1.2, B.1.1.3).
    name: "jpeg with fill bytes, RSTn and TEM",
    size: big,
    make: async () => {
      const fill = Buffer.alloc(40, 0xff);
      // Inserted at the frame header first, as the helper cannot walk fill bytes.
      const padded = insertBefore(await fixture("baseline jpeg 1344x768"), 0xc0, Buffer.concat([fill, Buffer.from([0xd7, 0xff, 0xff])]));
      return insertBefore(padded, 0xdb, Buffer.concat([fill, Buffer.from([0xd3, 0xff, 0x01]), fill]));
    },
  },
  {
    // Three full-size application segments (~196 KB), like a big XMP packet.
    name: "jpeg with 196 KB of APPn segments",
    size: big,
    make: async () => {
      const app9 = segment(0xe9, Buffer.alloc(0xffff - 2, 0x41));
      return insertBefore(await fixture("baseline jpeg 1344x768"), 0xdb, Buffer.concat([app9, app9, app9]));
    },
  },
];

const made = new Map<string, Promise<Buffer>>();
function fixture(name: string): Promise<Buffer> {
  const spec = specs.find((candidate) => candidate.name === name)!;
  if (!made.has(name)) made.set(name, spec.make());
  return made.get(name)!;
}
const names = specs.map((spec) => spec.name);
const sizeOf = (name: string) => specs.find((spec) => spec.name === name)!.size;

it.each(names)("fixture %s is an image sharp reads at its stated size", async (name) => {
  const { width, height } = await sharp(await fixture(name)).metadata();
  expect({ width, height }).toEqual(sizeOf(name));
});

describe("readImageSize", () => {
  it.each(names)("reads the size of %s", async (name) => {
    expect(readImageSize(await fixture(name))).toEqual(sizeOf(name));
  });

  it("has fixtures with the frame header each JPEG kind is about: SOF0 for baseline, SOF2 for progressive", async () => {
    const markers = async (name: string) => jpegSegments(await fixture(name)).map((found) => found.marker);
    expect(await markers("baseline jpeg 1344x768")).toContain(0xc0);
    expect(await markers("progressive jpeg 1344x768")).toContain(0xc2);
    expect(await markers("progressive jpeg 1344x768")).not.toContain(0xc0);
  });

  it("has fixtures for each WebP form, told apart by the first chunk", async () => {
    const firstChunk = async (name: string) => (await fixture(name)).toString("latin1", 12, 16);
    expect(await firstChunk("lossy webp 1344x768")).toBe("VP8 ");
    expect(await firstChunk("lossless webp 1344x768")).toBe("VP8L");
    expect(await firstChunk("webp with alpha 1344x768")).toBe("VP8X");
  });

  it.each(names)("needs more for every prefix of %s short of the header, then gives the size", async (name) => {
    const bytes = await fixture(name);
    let known = 0;
    while (known <= bytes.length && readImageSize(bytes.subarray(0, known)) === "need-more") known++;
    expect(known).toBeLessThanOrEqual(bytes.length);
    for (const length of [known, known + 1, Math.floor((known + bytes.length) / 2), bytes.length]) {
      expect(readImageSize(bytes.subarray(0, Math.min(length, bytes.length))), `at ${length}`).toEqual(sizeOf(name));
    }
  });

  it("needs only the fixed header for PNG and WebP", async () => {
    const prefix = async (name: string, length: number) => readImageSize((await fixture(name)).subarray(0, length));
    expect(await prefix("png 7x3", 23)).toBe("need-more");
    expect(await prefix("png 7x3", 24)).toEqual(tiny);
    expect(await prefix("lossy webp 7x3", 29)).toBe("need-more");
    expect(await prefix("lossy webp 7x3", 30)).toEqual(tiny);
    expect(await prefix("lossless webp 7x3", 24)).toBe("need-more");
    expect(await prefix("lossless webp 7x3", 25)).toEqual(tiny);
    expect(await prefix("webp with alpha 7x3", 29)).toBe("need-more");
    expect(await prefix("webp with alpha 7x3", 30)).toEqual(tiny);
  });

  it("needs the whole EXIF segment of a JPEG before its frame header", async () => {
    const bytes = await fixture("jpeg with a 20 KB EXIF segment");
    const app1 = jpegSegments(bytes).find((found) => found.marker === 0xe1)!;
    expect(app1.end - app1.start).toBeGreaterThan(20_000);
    expect(readImageSize(bytes.subarray(0, app1.end))).toBe("need-more");
  });

  it("says need-more for an empty prefix and any prefix of a signature", () => {
    expect(readImageSize(new Uint8Array())).toBe("need-more");
    expect(readImageSize(Buffer.from([0x89, 0x50, 0x4e]))).toBe("need-more");
    expect(readImageSize(Buffer.from([0xff, 0xd8]))).toBe("need-more");
    expect(readImageSize(Buffer.from("RIFF\x10\x00\x00\x00WE", "latin1"))).toBe("need-more");
  });

  it("gives null for bytes that are not an image it can read", () => {
    let state = 7;
    const random = Buffer.alloc(4096).map(() => (state = (state * 1103515245 + 12345) & 0x7fffffff) >>> 16);
    const notImages = [
      random,
      Buffer.from("<!doctype html><html><body>Not found</body></html>"),
      Buffer.from("GIF89a\x07\x00\x03\x00", "latin1"),
      Buffer.from("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00", "latin1"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00]),
      Buffer.from("\x89PNG\r\n\x1a\n\x00\x00\x00\x04CgBI\x50\x00\x20\x02\x00\x00\x00\x00", "latin1"),
    ];
    for (const bytes of notImages) expect(readImageSize(bytes)).toBeNull();
  });

  it("gives null for a PNG with a zero dimension", async () => {
    const png = Buffer.from(await fixture("png 7x3"));
    png.writeUInt32BE(0, 16);
    expect(readImageSize(png)).toBeNull();
  });
});

describe("readImageSize on JPEG markers", () => {
  const SOI = [0xff, 0xd8];
  const sof = (marker: number, width: number, height: number) =>
    segment(marker, Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]));
  const jpeg = (...parts: (number[] | Buffer)[]) => Buffer.concat(parts.map((part) => Buffer.from(part)));
  // A segment whose bytes would read as 300x200 if taken for a frame header.
  const decoy = (marker: number) => segment(marker, Buffer.from([8, 0, 200, 1, 44, 1, 1, 0x11, 0]));

  it("skips DHT, JPG and DAC although they sit in the SOF range", () => {
    const bytes = jpeg(SOI, decoy(0xc4), decoy(0xc8), decoy(0xcc), sof(0xc0, 1344, 768));
    expect(readImageSize(bytes)).toEqual({ width: 1344, height: 768 });
  });

  it("reads every other SOFn", () => {
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      expect(readImageSize(jpeg(SOI, sof(marker, 7, 3))), marker.toString(16)).toEqual({ width: 7, height: 3 });
    }
  });

  it("steps over a repeated SOI, TEM, RSTn and fill bytes", () => {
    const bytes = jpeg(SOI, [0xff, 0xd8, 0xff, 0x01, 0xff, 0xff, 0xd0, 0xff, 0xd7], [0xff, 0xff, 0xff], sof(0xc2, 65535, 1));
    expect(readImageSize(bytes)).toEqual({ width: 65535, height: 1 });
  });

  it("gives null when the image data or its end comes before any frame header", () => {
    expect(readImageSize(jpeg(SOI, segment(0xda, Buffer.alloc(10)), sof(0xc0, 7, 3)))).toBeNull();
    expect(readImageSize(jpeg(SOI, [0xff, 0xd9], sof(0xc0, 7, 3)))).toBeNull();
  });

  it("gives null for bytes that cannot be a marker or a frame header", () => {
    expect(readImageSize(jpeg(SOI, [0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0x12], sof(0xc0, 7, 3)))).toBeNull();
    expect(readImageSize(jpeg(SOI, [0xff, 0x00], sof(0xc0, 7, 3)))).toBeNull();
    expect(readImageSize(jpeg(SOI, [0xff, 0xe0, 0x00, 0x01]))).toBeNull();
    expect(readImageSize(jpeg(SOI, [0xff, 0xc0, 0x00, 0x05, 8, 0, 3, 0, 7]))).toBeNull();
    // Height 0 means a DNL marker gives it after the first scan, which a header read never reaches.
    expect(readImageSize(jpeg(SOI, sof(0xc0, 7, 0)))).toBeNull();
  });

  it("needs more while a segment or a run of fill bytes reaches the end", () => {
    expect(readImageSize(jpeg(SOI, [0xff, 0xff, 0xff]))).toBe("need-more");
    expect(readImageSize(jpeg(SOI, [0xff, 0xe1, 0x10, 0x00], Buffer.alloc(100)))).toBe("need-more");
    expect(readImageSize(jpeg(SOI, sof(0xc0, 7, 3)).subarray(0, 10))).toBe("need-more");
  });
});

describe("readImageSize on WebP chunks", () => {
  const webp = (fourcc: string, data: number[]) =>
    Buffer.concat([Buffer.from("RIFF\x00\x00\x00\x00WEBP", "latin1"), Buffer.from(fourcc, "latin1"), Buffer.alloc(4), Buffer.from(data)]);

  it("reads a VP8X canvas past WebP's 14-bit limit from its 24-bit fields", () => {
    const canvas = [0x10, 0, 0, 0, 0x1f, 0x4e, 0x00, 0x6f, 0x11, 0x01];
    expect(readImageSize(webp("VP8X", canvas))).toEqual({ width: 20_000, height: 70_000 });
  });

  it("ignores the upscaling bits above a VP8 frame's 14-bit sizes", () => {
    const frame = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0xc5, 0x00, 0x43];
    expect(readImageSize(webp("VP8 ", frame))).toEqual({ width: 1344, height: 768 });
  });

  it("gives null for a wrong VP8 start code, a VP8L version other than 0, or another first chunk", () => {
    expect(readImageSize(webp("VP8 ", [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 0x40, 0x05, 0x00, 0x03]))).toBeNull();
    expect(readImageSize(webp("VP8L", [0x2f, 0x00, 0x00, 0x00, 0x20]))).toBeNull();
    expect(readImageSize(webp("VP8L", [0x2e, 0x00, 0x00, 0x00, 0x00]))).toBeNull();
    expect(readImageSize(webp("ALPH", Array(10).fill(0)))).toBeNull();
  });
});

async function pipe(bytes: Uint8Array, chunkSize: number, probe = probeImageSize()) {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
      }
      controller.close();
    },
  });
  const output = Buffer.from(await new Response(source.pipeThrough(probe.transform)).arrayBuffer());
  return { output, size: await probe.size };
}

describe("probeImageSize", () => {
  // A web stream costs ~0.1 ms a chunk here, so the smallest chunks go through
  // the files up to 64 KB (every one but the two with 200 KB+ of APPn segments).
  it.each(names)("passes %s through byte for byte and reads its size, in 1-byte, 7-byte and whole chunks", async (name) => {
    const bytes = await fixture(name);
    const chunkSizes = bytes.length <= 64 * 1024 ? [1, 7, bytes.length] : [4096, bytes.length];
    for (const chunkSize of chunkSizes) {
      const piped = await pipe(bytes, chunkSize);
      expect(piped.output.equals(bytes), `in ${chunkSize}-byte chunks`).toBe(true);
      expect(piped.size, `in ${chunkSize}-byte chunks`).toEqual(sizeOf(name));
    }
  });

  it("resolves the size as soon as the header has gone through, before the stream ends", async () => {
    const bytes = await fixture("jpeg with a 20 KB EXIF segment");
    const probe = probeImageSize();
    let source!: ReadableStreamDefaultController<Uint8Array>;
    const reader = new ReadableStream<Uint8Array>({ start: (controller) => void (source = controller) })
      .pipeThrough(probe.transform)
      .getReader();
    source.enqueue(bytes.subarray(0, 30_000));
    expect(Buffer.from((await reader.read()).value!).equals(bytes.subarray(0, 30_000))).toBe(true);
    await expect(probe.size).resolves.toEqual({ width: 7, height: 3 });
    source.close();
    await reader.cancel();
  });

  it("reads a JPEG whose header lies past the memory cap, holding only what it must", async () => {
    const bytes = await fixture("jpeg with a 1 MB ICC profile");
    expect(bytes.length).toBeGreaterThan(3 * MAX_PROBE_BYTES);
    expect((await pipe(bytes, 64 * 1024)).size).toEqual(tiny);
    // Skipped segments are never held, so even a 1 KB window reaches the frame header.
    expect((await pipe(bytes, 64 * 1024, probeImageSize({ maxBytes: 1024 }))).size).toEqual(tiny);
  });

  it("resolves null past the cap when the header needs more held at once", async () => {
    const bytes = await fixture("png 7x3");
    const piped = await pipe(bytes, 5, probeImageSize({ maxBytes: 20 }));
    expect(piped.output.equals(bytes)).toBe(true);
    expect(piped.size).toBeNull();
  });

  it("resolves null for something that is not an image, and for an empty stream", async () => {
    const html = Buffer.from("<html>".repeat(1000));
    const piped = await pipe(html, 7);
    expect(piped.output.equals(html)).toBe(true);
    expect(piped.size).toBeNull();
    expect((await pipe(new Uint8Array(), 1)).size).toBeNull();
  });

  it("resolves null when the stream ends before the header", async () => {
    const truncated = (await fixture("jpeg with a 20 KB EXIF segment")).subarray(0, 15_000);
    expect((await pipe(truncated, 1000)).size).toBeNull();
  });

  it("resolves null when the reader cancels or the source fails midway", async () => {
    const cancelled = probeImageSize();
    const reader = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(new Uint8Array([0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff])),
    })
      .pipeThrough(cancelled.transform)
      .getReader();
    await reader.read();
    await reader.cancel();
    await expect(cancelled.size).resolves.toBeNull();

    const failed = probeImageSize();
    const output = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([0xff, 0xd8, 0xff]));
        controller.error(new Error("connection reset"));
      },
    }).pipeThrough(failed.transform);
    await expect(new Response(output).arrayBuffer()).rejects.toThrow();
    await expect(failed.size).resolves.toBeNull();
  });

  it("rejects a cap that could never hold a byte", () => {
    expect(() => probeImageSize({ maxBytes: 0 })).toThrow(RangeError);
  });
});
