// `npm run reconcile`: asks the running app to save images of predictions that
// succeeded in the last hour but were never saved (for a cron job, e.g. every
// 5 minutes). It calls POST /api/internal/reconcile rather than opening the
// database itself: in local mode the server holds the embedded database, and a
// second process opening the same folder would corrupt it. So this needs no
// TypeScript runner and works the same against local and cloud deployments.
//
//   RECONCILE_SECRET=... npm run reconcile [-- <app url>]
//
// The URL defaults to APP_URL, else http://127.0.0.1:$PORT (3000). Exits 1 on failure.
import { existsSync } from "node:fs";

// The same files Next reads; variables already set in the environment win.
for (const file of [".env.production.local", ".env.local", ".env.production", ".env"]) {
  if (existsSync(file) && typeof process.loadEnvFile === "function") process.loadEnvFile(file);
}

const secret = process.env.RECONCILE_SECRET?.trim();
const base = process.argv[2] ?? process.env.APP_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;

if (!secret) {
  console.error("reconcile: RECONCILE_SECRET is not set (the server must have the same value).");
  process.exit(1);
}

try {
  const response = await fetch(new URL("/api/internal/reconcile", base), {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, accept: "application/json" },
    signal: AbortSignal.timeout(5 * 60_000),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    console.error(`reconcile: ${response.status} ${body?.error?.message ?? response.statusText}`);
    process.exit(1);
  }
  console.log(`reconcile: ${JSON.stringify(body)}`);
} catch (error) {
  console.error(`reconcile: could not reach ${base}: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
