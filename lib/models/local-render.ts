import { createHash } from "node:crypto";

/**
 * The local preview model's "painting": a soft abstract image, deterministic in
 * (prompt, seed, width, height), so a saved input reproduces its image exactly
 * and different prompts look different. It makes no claim to depict the prompt;
 * a few colour words only steer the palette so the preview feels related.
 *
 * Everything is done in normalised coordinates, so one prompt and seed look
 * alike at every size, and per-pixel work is a handful of multiply-adds: the
 * trigonometry is precomputed per row and per column.
 */

type Rgb = [number, number, number];

const COLOUR_WORDS: Array<[RegExp, number]> = [
  [/\b(red|crimson|scarlet|ruby|fire)\b/, 0],
  [/\b(sunset|sunrise|autumn|copper|rust)\b/, 18],
  [/\b(orange|amber|peach)\b/, 30],
  [/\b(gold|golden|yellow|sun|sunny|desert|sand)\b/, 48],
  [/\b(green|forest|jungle|moss|leaf|leaves|meadow|grass)\b/, 115],
  [/\b(teal|turquoise|lagoon|mint)\b/, 172],
  [/\b(blue|ocean|sea|sky|water|ice|winter|azure)\b/, 212],
  [/\b(purple|violet|lavender|galaxy|nebula|amethyst)\b/, 272],
  [/\b(pink|rose|magenta|blossom|sakura)\b/, 328],
];
const DARK_WORDS = /\b(night|dark|midnight|noir|moody|shadow|space|cave)\b/;

/** 32-bit state, good statistical quality for its size; plenty for choosing shapes. */
function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const h = (((hue % 360) + 360) % 360) / 360;
  const s = Math.min(1, Math.max(0, saturation));
  const l = Math.min(1, Math.max(0, lightness));
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const channel = (t: number) => {
    const u = t < 0 ? t + 1 : t > 1 ? t - 1 : t;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [channel(h + 1 / 3) * 255, channel(h) * 255, channel(h - 1 / 3) * 255];
}

function makePalette(prompt: string, random: () => number): Rgb[] {
  const lower = prompt.toLowerCase();
  const named = COLOUR_WORDS.find(([pattern]) => pattern.test(lower));
  const base = named ? named[1] + (random() - 0.5) * 24 : random() * 360;
  const dark = DARK_WORDS.test(lower);
  // Colour-harmony schemes: offsets from the base hue.
  const schemes = [
    [0, 25, -25, 50, -50],
    [0, 180, 20, 200, -20],
    [0, 120, 240, 30, 150],
    [0, 150, 210, 20, -20],
  ];
  // A named colour should dominate, so it gets the close-knit schemes only.
  const offsets = schemes[Math.floor(random() * (named ? 2 : schemes.length))];
  return offsets.map((offset, index) => {
    const saturation = 0.45 + random() * 0.4;
    const lightness = (dark ? 0.18 : 0.42) + random() * (dark ? 0.25 : 0.3) + (index === 0 ? 0.05 : 0);
    return hslToRgb(base + offset, saturation, lightness);
  });
}

// Smooth, compact falloff: 1 at the centre, 0 (with zero slope) at distance 1.
function falloff(distanceSquared: number): number {
  if (distanceSquared >= 1) return 0;
  const t = 1 - distanceSquared;
  return t * t;
}

export function renderPreview({
  prompt,
  seed,
  width,
  height,
}: {
  prompt: string;
  seed: number;
  width: number;
  height: number;
}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Preview size must be positive whole numbers, got ${width}x${height}.`);
  }
  const digest = createHash("sha256").update(`${seed}\u0000${prompt}`).digest();
  const random = mulberry32(digest.readUInt32LE(0) ^ digest.readUInt32LE(4));
  const palette = makePalette(prompt, random);
  const pick = () => palette[Math.floor(random() * palette.length)];
  const count = width * height;
  const r = new Float32Array(count);
  const g = new Float32Array(count);
  const b = new Float32Array(count);

  // 1. A four-corner gradient, warped by gentle waves that are precomputed per
  // row and per column (so the warp is separable and costs two lookups).
  const [c00, c10, c01, c11] = shuffle(palette.slice(0, 4), random);
  const warpAmount = 0.08 + random() * 0.12;
  const warpFrequency = 1.5 + random() * 3;
  const phaseX = random() * Math.PI * 2;
  const phaseY = random() * Math.PI * 2;
  const rowShift = new Float32Array(height);
  const colShift = new Float32Array(width);
  for (let y = 0; y < height; y++) rowShift[y] = warpAmount * Math.sin((y / height) * warpFrequency * Math.PI + phaseY);
  for (let x = 0; x < width; x++) colShift[x] = warpAmount * Math.sin((x / width) * warpFrequency * Math.PI + phaseX);
  const smooth = (t: number) => {
    const u = t < 0 ? 0 : t > 1 ? 1 : t;
    return u * u * (3 - 2 * u);
  };
  for (let y = 0; y < height; y++) {
    const v0 = y / Math.max(1, height - 1);
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const u = smooth(x / Math.max(1, width - 1) + rowShift[y]);
      const v = smooth(v0 + colShift[x]);
      const iu = 1 - u;
      const iv = 1 - v;
      r[i] = (c00[0] * iu + c10[0] * u) * iv + (c01[0] * iu + c11[0] * u) * v;
      g[i] = (c00[1] * iu + c10[1] * u) * iv + (c01[1] * iu + c11[1] * u) * v;
      b[i] = (c00[2] * iu + c10[2] * u) * iv + (c01[2] * iu + c11[2] * u) * v;
    }
  }

  const unit = Math.min(width, height);

  // 2. Soft flowing bands: a sine curve per band, evaluated once per column.
  const bandCount = 1 + Math.floor(random() * 2);
  for (let band = 0; band < bandCount; band++) {
    const colour = lighten(pick(), 0.25);
    const centre = (0.25 + random() * 0.5) * height;
    const amplitude = (0.05 + random() * 0.15) * height;
    const frequency = (0.5 + random() * 1.5) * Math.PI * 2;
    const phase = random() * Math.PI * 2;
    const thickness = (0.04 + random() * 0.1) * unit;
    const strength = 0.25 + random() * 0.25;
    const reach = Math.ceil(thickness);
    for (let x = 0; x < width; x++) {
      const middle = centre + amplitude * Math.sin((x / width) * frequency + phase);
      const from = Math.max(0, Math.floor(middle - reach));
      const to = Math.min(height - 1, Math.ceil(middle + reach));
      for (let y = from; y <= to; y++) {
        const d = (y - middle) / thickness;
        const a = strength * falloff(d * d);
        if (a === 0) continue;
        const i = y * width + x;
        r[i] += (colour[0] - r[i]) * a;
        g[i] += (colour[1] - g[i]) * a;
        b[i] += (colour[2] - b[i]) * a;
      }
    }
  }

  // 3. Blurred circles ("bokeh"), each touching only its bounding box.
  const blobCount = 4 + Math.floor(random() * 5);
  for (let blob = 0; blob < blobCount; blob++) {
    const colour = random() < 0.3 ? lighten(pick(), 0.35) : pick();
    const cx = random() * width;
    const cy = random() * height;
    const radius = (0.12 + random() * 0.35) * unit;
    const strength = 0.35 + random() * 0.45;
    const inverse = 1 / (radius * radius);
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(width - 1, Math.ceil(cx + radius));
    const y0 = Math.max(0, Math.floor(cy - radius));
    const y1 = Math.min(height - 1, Math.ceil(cy + radius));
    for (let y = y0; y <= y1; y++) {
      const dy2 = (y - cy) * (y - cy);
      for (let x = x0, i = y * width + x0; x <= x1; x++, i++) {
        const a = strength * falloff(((x - cx) * (x - cx) + dy2) * inverse);
        if (a === 0) continue;
        r[i] += (colour[0] - r[i]) * a;
        g[i] += (colour[1] - g[i]) * a;
        b[i] += (colour[2] - b[i]) * a;
      }
    }
  }

  // 4. A separable vignette, then down to 8-bit RGB.
  const vignette = 0.25 + random() * 0.2;
  const rowLight = new Float32Array(height);
  const colLight = new Float32Array(width);
  for (let y = 0; y < height; y++) rowLight[y] = 1 - vignette * ((2 * y) / height - 1) ** 2;
  for (let x = 0; x < width; x++) colLight[x] = 1 - vignette * ((2 * x) / width - 1) ** 2;
  const pixels = new Uint8Array(count * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const light = rowLight[y] * colLight[x];
      const o = i * 3;
      // Uint8Array assignment truncates and wraps, so clamp first.
      pixels[o] = Math.min(255, Math.max(0, r[i] * light + 0.5));
      pixels[o + 1] = Math.min(255, Math.max(0, g[i] * light + 0.5));
      pixels[o + 2] = Math.min(255, Math.max(0, b[i] * light + 0.5));
    }
  }
  return pixels;
}

function lighten([red, green, blue]: Rgb, amount: number): Rgb {
  return [red + (255 - red) * amount, green + (255 - green) * amount, blue + (255 - blue) * amount];
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
