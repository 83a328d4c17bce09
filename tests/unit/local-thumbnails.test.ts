import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { removeThumbnails, thumbnailOf } from "@/lib/local/local-thumbnails";
import { isThumbnailWidth } from "@/lib/predictions/thumbnails";
import { encodePng } from "@/lib/models/png";

const OBJECT = "0b3f5a3e-8f0e-4c55-9d6f-3f1f7c1d2e4a/pred_1.png";
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "thumbs-"));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

function png(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  return encodePng({ width, height, pixels });
}

describe("local thumbnails", () => {
  it("accepts only the widths the gallery asks for", () => {
    expect([384, 768].every(isThumbnailWidth)).toBe(true);
    expect([0, 100, 383, 1024, Number.NaN].some(isThumbnailWidth)).toBe(false);
  });

  it("makes a WebP whose shorter side is the width, then serves it from disk without reading the original", async () => {
    const original = vi.fn(async () => png(1216, 832));
    const first = await thumbnailOf({ dataDir, objectPath: OBJECT, width: 384, original });
    expect(first).not.toBeNull();
    const meta = await sharp(first!).metadata();
    expect(meta.format).toBe("webp");
    expect([meta.width, meta.height]).toEqual([561, 384]);
    expect(existsSync(path.join(dataDir, "thumbnails", `${OBJECT}.w384.webp`))).toBe(true);

    const again = await thumbnailOf({ dataDir, objectPath: OBJECT, width: 384, original });
    expect(Buffer.compare(again!, first!)).toBe(0);
    expect(original).toHaveBeenCalledTimes(1);
  });

  it("never enlarges a small image", async () => {
    const thumb = await thumbnailOf({ dataDir, objectPath: OBJECT, width: 768, original: async () => png(512, 512) });
    const meta = await sharp(thumb!).metadata();
    expect([meta.width, meta.height]).toEqual([512, 512]);
  });

  it("answers null for bytes that are not an image, so the caller serves the original", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const thumb = await thumbnailOf({ dataDir, objectPath: OBJECT, width: 384, original: async () => new TextEncoder().encode("not a png") });
    expect(thumb).toBeNull();
    expect(existsSync(path.join(dataDir, "thumbnails", `${OBJECT}.w384.webp`))).toBe(false);
  });

  it("removes every size of an image's thumbnails, and does not mind ones never made", async () => {
    await thumbnailOf({ dataDir, objectPath: OBJECT, width: 384, original: async () => png(1024, 1024) });
    await removeThumbnails({ dataDir, objectPath: OBJECT });
    expect(existsSync(path.join(dataDir, "thumbnails", `${OBJECT}.w384.webp`))).toBe(false);
    await expect(removeThumbnails({ dataDir, objectPath: OBJECT })).resolves.toBeUndefined();
  });

  it("refuses a path that would leave the thumbnail folder", async () => {
    await expect(thumbnailOf({ dataDir, objectPath: "../../etc/passwd", width: 384, original: async () => png(8, 8) })).rejects.toThrow(
      "Invalid thumbnail path.",
    );
  });
});
