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
 * someone else (nor lets them evict it): a miss goes to Storage, whose policies decide.
 *
 * A path Storage would not sign (no such object, as for the thumbnails of
 * images saved before there were any) is kept as null for the same time, so a
 * gallery of old images does not ask again on every load.
 *
 * Bounded (least recently used goes first) and per process; losing it costs
 * only a signing request.
 */
export type SignedUrlCache = {
  /** The URL, null when Storage signed nothing for this path, undefined when unknown or due for renewal. */
  get(args: { path: string; viewer: string }): string | null | undefined;
  set(args: { path: string; viewer: string; url: string | null; signedAt: number }): void;
  /** The viewer deleted the object: its URL is no use any more. */
  forget(args: { path: string; viewer: string }): void;
};

export function createSignedUrlCache({ reuseForMs, maxEntries = 10_000 }: { reuseForMs: number; maxEntries?: number }): SignedUrlCache {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, { url: string | null; signedAt: number }>();
  // Ids and paths hold no newline: the key is unambiguous.
  const keyOf = (viewer: string, path: string) => `${viewer}\n${path}`;
  return {
    get({ path, viewer }) {
      const key = keyOf(viewer, path);
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (Date.now() - entry.signedAt >= reuseForMs) return undefined;
      entries.set(key, entry);
      return entry.url;
    },
    set({ path, viewer, url, signedAt }) {
      const key = keyOf(viewer, path);
      entries.delete(key);
      entries.set(key, { url, signedAt });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    forget({ path, viewer }) {
      entries.delete(keyOf(viewer, path));
    },
  };
}
