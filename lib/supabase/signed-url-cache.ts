import "server-only";

/**
 * Signed URLs kept for reuse, so the same image has the same URL on every
 * gallery load while it is valid and the browser's cache can work (a new
 * signature each time is a new URL, and a new download).
 *
 * An entry answers only the viewer it was signed for. Paths already name their
 * owner (`<user id>/...`) and callers ask only for paths of rows read under the
 * person's own identity; keying on the viewer as well means that, whatever a
 * caller asks for, the cache never hands one person a URL Storage signed for
 * someone else: a miss goes to Storage, whose policies decide.
 *
 * Bounded (least recently used goes first) and per process; losing it costs
 * only a signing request.
 */
export type SignedUrlCache = {
  get(args: { path: string; viewer: string }): string | undefined;
  set(args: { path: string; viewer: string; url: string; signedAt: number }): void;
  /** The object is gone (deleted): its URL is no use to anyone. */
  forget(args: { path: string }): void;
};

export function createSignedUrlCache({ reuseForMs, maxEntries = 10_000 }: { reuseForMs: number; maxEntries?: number }): SignedUrlCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, { url: string; viewer: string; signedAt: number }>();
  return {
    get({ path, viewer }) {
      const entry = entries.get(path);
      if (!entry || entry.viewer !== viewer) return undefined;
      if (Date.now() - entry.signedAt >= reuseForMs) {
        entries.delete(path);
        return undefined;
      }
      entries.delete(path);
      entries.set(path, entry);
      return entry.url;
    },
    set({ path, viewer, url, signedAt }) {
      entries.delete(path);
      entries.set(path, { url, viewer, signedAt });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    forget({ path }) {
      entries.delete(path);
    },
  };
}
