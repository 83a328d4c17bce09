/**
 * The one naming rule for downloaded images, in both modes: a readable name
 * from the prompt (`a-lighthouse-at-dusk.png`) with the stored file's extension.
 * Names are lowercase ASCII letters, digits and dashes, so they go into a URL
 * and a Content-Disposition header as they are, with nothing to escape.
 */

const EXTENSIONS = ["png", "jpg", "webp"] as const;
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:png|jpg|webp)$/;
const MAX_STEM = 60;

export function downloadName(prompt: string, storagePath: string): string {
  const found = /\.([a-z]+)$/i.exec(storagePath)?.[1]?.toLowerCase();
  const extension = EXTENSIONS.find((known) => known === found) ?? "png";
  const stem = prompt
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_STEM)
    .replace(/-+$/, "");
  return `${stem || "image"}.${extension}`;
}

/** True for a name downloadName could have made: the only names a download is served under. */
export function isDownloadName(name: string): boolean {
  return name.length <= MAX_STEM + 5 && NAME.test(name);
}
