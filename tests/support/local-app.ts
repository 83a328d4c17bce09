import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { resetServerEnvForTests } from "@/lib/env";
import type { SessionUser } from "@/lib/predictions/ports";
import { getAppContext, resetAppContextForTests } from "@/lib/server-context";
import { testCookies } from "@/tests/support/cookie-jar";

/**
 * A whole app in local mode on a fresh data folder: the real env parsing, the
 * real PGlite database with the real migrations, the real local model. Test
 * files must mock next/headers with `testCookies` (see route tests).
 */
export async function startLocalApp(env: Record<string, string> = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "sdxl-test-"));
  const saved = { ...process.env };
  Object.assign(process.env, { DATA_DIR: dataDir, LOCAL_MODEL_DURATION_MS: "0", ...env });
  resetServerEnvForTests();
  resetAppContextForTests();
  const context = await getAppContext();

  /** Signs up a new person and returns their session cookies, ready to `actAs`. */
  async function signUp(email: string, password = "correct horse battery") {
    testCookies.clear();
    const user = await context.auth.signUp({ email, password }, testCookies);
    return { user, cookies: testCookies.snapshot() };
  }

  function actAs(session: { cookies: Map<string, string> } | null) {
    if (session) testCookies.restore(session.cookies);
    else testCookies.clear();
  }

  async function stop() {
    await context.close?.();
    resetAppContextForTests();
    process.env = saved;
    resetServerEnvForTests();
    await rm(dataDir, { recursive: true, force: true });
  }

  return { context, dataDir, signUp, actAs, stop };
}

export type LocalApp = Awaited<ReturnType<typeof startLocalApp>>;
export type TestSession = { user: SessionUser; cookies: Map<string, string> };

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
