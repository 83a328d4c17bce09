/**
 * How a tile shows an image. The server hands out every URL (full, download,
 * thumbnails) in both modes, so nothing here knows how files are served.
 */

/** `src` and `srcSet` for a gallery tile: thumbnails, never the full image unless the image has none. */
export function tileSources(image: { url: string; thumbnails: Array<{ width: number; url: string }> }): { src: string; srcSet?: string } {
  const [smallest] = image.thumbnails;
  if (!smallest) return { src: image.url };
  return {
    src: smallest.url,
    srcSet: image.thumbnails.map(({ width, url }) => `${url} ${width}w`).join(", "),
  };
}

/**
 * How wide a tile is drawn, for the browser's srcset choice; mirrors the grid in
 * gallery-grid.tsx (2 columns, then 3 from md, 4 from xl inside a 72rem page).
 */
export const TILE_SIZES = "(min-width: 1280px) 264px, (min-width: 768px) 31vw, 46vw";
