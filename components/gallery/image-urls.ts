/**
 * Variants of an image URL for the browser. Local mode serves files from its own
 * `/api/files/…` route, which can answer with a cached thumbnail (`?w=`) or as a
 * download (`?download=1`). Any other URL (a cloud signed URL) is used as it is.
 */

const LOCAL_FILES = "/api/files/";

/** Thumbnail widths the files route makes; keep in step with lib/local/local-thumbnails.ts. */
export const TILE_WIDTHS = [384, 768] as const;

function isLocalFile(url: string): boolean {
  return url.startsWith(LOCAL_FILES);
}

function withParam(url: string, name: string, value: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${name}=${encodeURIComponent(value)}`;
}

/** `src` and `srcSet` for a gallery tile: small files for small tiles, never the full image when avoidable. */
export function tileSources(url: string): { src: string; srcSet?: string } {
  if (!isLocalFile(url)) return { src: url };
  return {
    src: withParam(url, "w", String(TILE_WIDTHS[0])),
    srcSet: TILE_WIDTHS.map((width) => `${withParam(url, "w", String(width))} ${width}w`).join(", "),
  };
}

/**
 * How wide a tile is drawn, for the browser's srcset choice; mirrors the grid in
 * gallery-grid.tsx (2 columns, then 3 from md, 4 from xl inside a 72rem page).
 */
export const TILE_SIZES = "(min-width: 1280px) 264px, (min-width: 768px) 31vw, 46vw";

export function downloadUrl(url: string): string {
  return isLocalFile(url) ? withParam(url, "download", "1") : url;
}

/** A readable file name from the prompt, e.g. `a-lighthouse-at-dusk.png`, with the extension of the stored file. */
export function downloadName(prompt: string, url: string): string {
  const extension = /\.(png|jpe?g|webp|gif)(?:$|\?)/i.exec(url.split("#")[0])?.[1]?.toLowerCase() ?? "png";
  const slug = prompt
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
  return `${slug || "image"}.${extension}`;
}
