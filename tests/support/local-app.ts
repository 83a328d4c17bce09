import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SESSION_COOKIE } from "@/lib/auth/session-cookie";
import { resetServerEnvForTests } from "@/lib/env";
import { getAppContext, resetAppContextForTests } from "@/lib/server-context";
import type { TestApp, TestSession } from "@/tests/support/backends";
import { sessionsFor } from "@/tests/support/cookie-jar";

export type { TestSession } from "@/tests/support/backends";

const BUCKET = "sdxl-images";

export type LocalAppOptions = {
  /**
   * An existing data folder to start on (an older version's, say), instead of a
   * fresh one. It stays the caller's: stop() closes the database but keeps it.
   */
  dataDir?: string;
};

/**
 * A whole app in local mode on a fresh data folder: the real env parsing, the
 * real PGlite database with the real migrations, the real local model. Test
 * files must mock next/headers with `testCookies` (see route tests).
 */
export async function startLocalApp(env: Record<string, string> = {}, options: LocalAppOptions = {}) {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "sdxl-test-")));
  const saved = { ...process.env };
  Object.assign(process.env, { DATA_DIR: dataDir, LOCAL_MODEL_DURATION_MS: "0", ...env });
  resetServerEnvForTests();
  resetAppContextForTests();
  const context = await getAppContext();
  const bucketDir = path.join(dataDir, "storage", BUCKET);

  /** Signs up a new person and returns their session cookies, ready to `actAs`. */
  const { signUp, actAs } = sessionsFor(context.auth);

  // The local session cookie is the JWT itself.
  function tamperedSession(session: TestSession, claims: Record<string, unknown>) {
    const cookies = new Map(session.cookies);
    cookies.set(SESSION_COOKIE, tamperJwt(cookies.get(SESSION_COOKIE) ?? "", claims));
    return { cookies };
  }

  // Everything in the person's folder, temporary files of an unfinished upload included.
  async function storedFiles(userId: string): Promise<string[]> {
    // Input images sit one folder down (`<user>/inputs/`): list files, not folders.
    const entries = await readdir(path.join(bucketDir, userId), { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(bucketDir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
      .sort();
  }

  async function readStoredFile(objectPath: string): Promise<Uint8Array | null> {
    return readFile(path.join(bucketDir, objectPath)).then((bytes) => new Uint8Array(bytes), () => null);
  }

  // Display URLs are `/api/files/<object path>[?query]`, served by the route handler as this session.
  async function openDisplayUrl(url: string): Promise<Response> {
    const { GET } = await import("@/app/api/files/[...path]/route");
    const target = new URL(url, "http://localhost:3000");
    if (!target.pathname.startsWith("/api/files/")) throw new Error(`Not a local file URL: ${url}`);
    const segments = target.pathname.slice("/api/files/".length).split("/").map(decodeURIComponent);
    return GET(new Request(target), params({ path: segments }));
  }

  async function stop() {
    await context.close?.();
    resetAppContextForTests();
    process.env = saved;
    resetServerEnvForTests();
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  }

  const app = {
    backend: "local" as const,
    context,
    dataDir,
    signUp,
    actAs,
    tamperedSession,
    storedFiles,
    readStoredFile,
    openDisplayUrl,
    stop,
  };
  return app satisfies TestApp;
}

export type LocalApp = Awaited<ReturnType<typeof startLocalApp>>;

/** A JWT with its claims edited and its signature kept. */
export function tamperJwt(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const edited = { ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString() || "{}"), ...claims };
  return `${header}.${Buffer.from(JSON.stringify(edited)).toString("base64url")}.${signature}`;
}

export function jsonRequest(url: string, body: unknown, init: RequestInit = {}): Request {
  return new Request(new URL(url, "http://localhost:3000"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
  });
}

export function params<P>(value: P) {
  return { params: Promise.resolve(value) };
}
