import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setupServer } from "msw/node";
import { resetServerEnvForTests } from "@/lib/env";
import { getAppContext, resetAppContextForTests } from "@/lib/server-context";
import { IMAGES_BUCKET } from "@/lib/supabase/supabase-files";
import { createSupabaseApi, PUBLISHABLE_KEY, SERVICE_ROLE_KEY, SESSION_COOKIE } from "@/tests/msw/supabase-handlers";
import type { TestApp, TestSession } from "@/tests/support/backends";
import { sessionsFor } from "@/tests/support/cookie-jar";
import { tamperJwt } from "@/tests/support/local-app";

/**
 * The same whole app as startLocalApp, on the Supabase backend: the real env
 * parsing and getAppContext, the real supabase-js and @supabase/ssr clients,
 * talking through msw to the emulated project (tests/msw/supabase-handlers.ts,
 * whose PGlite runs the migrations: their grants, policies and constraints).
 * The model is the local preview model, as in local mode, so only the backend
 * differs. Test files must mock next/headers with `testCookies`.
 */
export async function startSupabaseApp(env: Record<string, string> = {}) {
  const api = await createSupabaseApi();
  // Anything not answered by a handler is a test bug (or a request that would
  // leave the machine), never a silent pass.
  const server = setupServer(...api.handlers);
  server.listen({ onUnhandledRequest: "error" });

  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-test-supabase-"));
  const saved = { ...process.env };
  Object.assign(process.env, {
    NEXT_PUBLIC_SUPABASE_URL: api.url,
    NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
    DATA_DIR: dataDir,
    LOCAL_MODEL_DURATION_MS: "0",
    ...env,
  });
  resetServerEnvForTests();
  resetAppContextForTests();

  let context: Awaited<ReturnType<typeof getAppContext>>;
  try {
    context = await getAppContext();
  } catch (error) {
    await restore();
    throw error;
  }

  async function restore() {
    resetAppContextForTests();
    process.env = saved;
    resetServerEnvForTests();
    server.close();
    await api.close();
    await rm(dataDir, { recursive: true, force: true });
  }

  const { signUp, actAs } = sessionsFor(context.auth);

  // @supabase/ssr keeps the whole session as `base64-<base64url JSON>` in one
  // cookie (it chunks only past ~3 kB, which these sessions never reach).
  function tamperedSession(session: TestSession, claims: Record<string, unknown>) {
    const value = session.cookies.get(SESSION_COOKIE);
    if (!value?.startsWith("base64-")) throw new Error(`No ${SESSION_COOKIE} cookie in this session.`);
    const stored = JSON.parse(Buffer.from(value.slice("base64-".length), "base64url").toString());
    stored.access_token = tamperJwt(stored.access_token, claims);
    const cookies = new Map(session.cookies);
    cookies.set(SESSION_COOKIE, `base64-${Buffer.from(JSON.stringify(stored)).toString("base64url")}`);
    return { cookies };
  }

  // Rows of storage.objects, read as the database's superuser (past every policy).
  async function storedFiles(userId: string): Promise<string[]> {
    const rows = await api.sql<{ name: string }>("select name from storage.objects where bucket_id = $1 and starts_with(name, $2)", [IMAGES_BUCKET, `${userId}/`]);
    return rows.map((row) => row.name).sort();
  }

  async function readStoredFile(objectPath: string): Promise<Uint8Array | null> {
    return api.objects.get(`${IMAGES_BUCKET}/${objectPath}`)?.bytes.slice() ?? null;
  }

  // Signed URLs carry their own authorization: the browser sends no session to Storage.
  async function openDisplayUrl(url: string): Promise<Response> {
    return fetch(url);
  }

  const app = {
    backend: "supabase" as const,
    context,
    /** The emulated project: its recorded requests, tables, objects and injectable failures. */
    api,
    /** The msw server, for tests that add handlers of their own (`server.use`). */
    server,
    signUp,
    actAs,
    tamperedSession,
    storedFiles,
    readStoredFile,
    openDisplayUrl,
    stop: restore,
  };
  return app satisfies TestApp;
}

export type SupabaseApp = Awaited<ReturnType<typeof startSupabaseApp>>;
