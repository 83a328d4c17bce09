// Builds the app once and serves it with `next start` in local mode on a
// loopback port, with a fresh data folder per run.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

const NEXT_BIN = path.resolve("node_modules/next/dist/bin/next");

export function build() {
  if (process.env.E2E_SKIP_BUILD === "1") return;
  const started = Date.now();
  const result = spawnSync(process.execPath, [NEXT_BIN, "build"], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed with exit code ${result.status}`);
  console.log(`# next build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A loopback port nothing listens on now: for a server that must know its own address before it starts. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let clientCount = 0;

/** A distinct client address per test person, from 198.18.0.0/15 (the range set aside for benchmarks). */
export function nextClientAddress() {
  clientCount += 1;
  return `198.18.${(clientCount >> 8) & 255}.${clientCount & 255}`;
}

/**
 * Starts `next start` (the node binary directly, so stopping it by pid stops the
 * server) on a fresh data folder, which stop() removes; or on `env.DATA_DIR`,
 * which is the caller's to remove. `port`: one from freePort(), when the
 * environment must name the server's own address (a webhook base URL).
 */
export async function startServer(env = {}, { port: chosenPort } = {}) {
  const port = chosenPort ?? (await freePort());
  const ownDataDir = env.DATA_DIR ? null : mkdtempSync(path.join(os.tmpdir(), "sdxl-e2e-"));
  const dataDir = env.DATA_DIR ?? ownDataDir;
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATA_DIR: dataDir,
      LOCAL_MODEL_DURATION_MS: "4000",
      // The journeys make a few dozen images in a minute (the gallery needs more than
      // a page of them); the limits themselves are covered by the integration tests.
      RATE_LIMIT_CREATES_PER_MINUTE: "200",
      RATE_LIMIT_CONCURRENT: "40",
      // Every test person connects from 127.0.0.1; as behind a real proxy, each
      // says where they come from (nextClientAddress), so the per-address sign-up
      // and sign-in limits see many people, not one address signing up dozens.
      TRUSTED_PROXIES: "127.0.0.1",
      ...env,
    },
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited early:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}/login`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer within 60 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  return {
    baseUrl,
    dataDir,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", resolve)));
      if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    },
  };
}
