import { createHash } from "node:crypto";
import type { ImageRow, SessionUser } from "@/lib/predictions/ports";
import { thumbnailPaths } from "@/lib/predictions/thumbnails";
import type { AppContext } from "@/lib/server-context";
import { startLocalApp } from "@/tests/support/local-app";
import { startSupabaseApp } from "@/tests/support/supabase-app";

/**
 * The feature suites run once per backend, from one file, so local mode and
 * Supabase cannot drift apart: both harnesses run the real app (env parsing,
 * getAppContext, the local preview model) and differ only in the backend.
 * Test files must mock next/headers with `testCookies` (see the route tests).
 */

export type TestSession = { user: SessionUser; cookies: Map<string, string> };

/** What every harness offers; the suites talk to this, never to a backend's internals. */
export interface TestApp {
  readonly backend: "local" | "supabase";
  readonly context: AppContext;
  /** Signs up a new person and returns their session cookies, ready to `actAs`. */
  signUp(email: string, password?: string): Promise<TestSession>;
  /** The next request comes from this browser (its cookies), or from a signed-out one. */
  actAs(session: { cookies: Map<string, string> } | null): void;
  /**
   * The session's cookies with the claims of its token changed and the
   * signature kept: what someone who edits their own cookie can send.
   */
  tamperedSession(session: TestSession, claims: Record<string, unknown>): { cookies: Map<string, string> };
  /**
   * Every object stored under `<userId>/`, as object paths (`<userId>/<name>`),
   * sorted: the files in the data folder (temporary files included) or the
   * objects in the emulated bucket.
   */
  storedFiles(userId: string): Promise<string[]>;
  /** A stored object's bytes, read past every policy; null when there is none. */
  readStoredFile(objectPath: string): Promise<Uint8Array | null>;
  /** What the browser gets for a display URL the app handed out, sending the current cookies. */
  openDisplayUrl(url: string): Promise<Response>;
  stop(): Promise<void>;
}

export type StartApp = (env?: Record<string, string>) => Promise<TestApp>;

export const backends: Array<{ name: TestApp["backend"]; start: StartApp }> = [
  { name: "local", start: startLocalApp },
  { name: "supabase", start: startSupabaseApp },
];

// Inspection goes through the service backend, as webhooks and reconcile do:
// it sees every row, and still answers only for the owner it is given.

const EPOCH = "1970-01-01T00:00:00.000000Z";

export async function countPredictions(app: TestApp, userId: string): Promise<number> {
  return app.context.serviceBackend().rows.countPredictionsSince({ userId, since: EPOCH });
}

/** All of this person's image rows, newest first. */
export async function imageRows(app: TestApp, userId: string): Promise<ImageRow[]> {
  const rows = app.context.serviceBackend().rows;
  const all: ImageRow[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await rows.listImages({ userId, limit: 100, cursor: last && { created_at: last.created_at, id: last.id } });
    all.push(...page);
    if (page.length < 100) return all;
  }
}

export async function countImages(app: TestApp, userId: string): Promise<number> {
  return (await imageRows(app, userId)).length;
}

/**
 * The stored objects saved images are kept as, sorted as storedFiles lists them:
 * each image, and in cloud mode its thumbnails beside it (local mode makes
 * them on request and caches them outside storage).
 */
export function objectsOfImages(app: TestApp, ...imagePaths: string[]): string[] {
  return imagePaths.flatMap((imagePath) => (app.backend === "supabase" ? [imagePath, ...thumbnailPaths(imagePath)] : [imagePath])).sort();
}

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A short fingerprint of some bytes: comparing these is fast and fails readably, unlike comparing megabytes element by element. */
export function digest(bytes: Uint8Array | null | undefined): string | null {
  return bytes ? `${bytes.byteLength} bytes, sha256 ${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}` : null;
}
