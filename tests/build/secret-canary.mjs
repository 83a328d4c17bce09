// A production build made with canary values for every server secret must not
// carry any of them to the browser. Runs `next build` once with a unique canary
// in each secret (and a consistent Supabase configuration so the env parses),
// then scans every browser-facing file of the build for each canary, raw and
// base64-encoded: everything under .next/static, the client reference
// manifests and the prerendered pages (HTML and RSC payloads).
//
// The build replaces .next for a while: the .next that was there is moved aside
// first and put back afterwards (or, if there was none, the canary build is
// removed), so the next `next build` / `next start` sees what it saw before.
// Don't run it while another build or `next start` uses this checkout.
//
// Run with `npm run test:build`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");
const DIST = path.join(ROOT, ".next");
const BACKUP = path.join(ROOT, "node_modules/.cache/secret-canary/next-before-canary-build");
const tag = randomBytes(6).toString("hex");

/** Server secrets, each with a value that can appear nowhere by chance and satisfies lib/env.ts. */
const SECRETS = {
  REPLICATE_API_TOKEN: `r8_canaryReplicateToken${tag}`,
  REPLICATE_WEBHOOK_SIGNING_SECRET: `whsec_canaryWebhookSecret${tag}`,
  SUPABASE_SERVICE_ROLE_KEY: `sb_secret_canaryServiceRole${tag}`,
  LOCAL_AUTH_SECRET: `canaryLocalAuthSecret${tag}${"x".repeat(16)}`,
  RECONCILE_SECRET: `canaryReconcileSecret${tag}${"x".repeat(16)}`,
};
/** Public values: they may reach the browser. The URL doubles as the positive control. */
const PUBLIC = {
  NEXT_PUBLIC_SUPABASE_URL: `https://canary${tag}.supabase.co`,
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: `sb_publishable_canary${tag}`,
};

/**
 * The forms a value could take in a file: as is, and base64 / base64url encoded
 * inside a longer encoded string (a data URL, a token), at any of the three
 * byte alignments: for each, the characters that depend on the value alone.
 */
function needles(value) {
  const forms = new Set([value]);
  for (const encoding of ["base64", "base64url"]) {
    for (const shift of [0, 1, 2]) {
      const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(value)]).toString(encoding).replace(/=+$/, "");
      forms.add(encoded.slice([0, 2, 3][shift], -4));
    }
  }
  return [...forms].map((form) => Buffer.from(form));
}

function filesUnder(dir, keep = () => true) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter(keep);
}

/** Which of `files` contain `value` in any of its forms, as paths relative to ROOT. */
function filesContaining(files, value) {
  const forms = needles(value);
  return files.filter((file) => {
    const bytes = readFileSync(file);
    return forms.some((form) => bytes.includes(form));
  }).map((file) => path.relative(ROOT, file));
}

/** What the browser can be sent: static assets, client reference manifests, prerendered HTML and RSC payloads. */
function browserFacingFiles(dist) {
  const server = path.join(dist, "server");
  return [
    ...filesUnder(path.join(dist, "static")),
    ...filesUnder(server, (file) => file.endsWith("_client-reference-manifest.js")),
    ...filesUnder(path.join(server, "app"), (file) => /\.(html|rsc|body|meta)$/.test(file) || file.includes(".segments")),
    ...filesUnder(path.join(server, "pages"), (file) => file.endsWith(".html")),
  ];
}

let build;
let scanned = [];

function moveAside() {
  // A run that was killed half way left the real build in the backup: that one is the one to keep.
  if (existsSync(BACKUP)) {
    rmSync(DIST, { recursive: true, force: true });
    renameSync(BACKUP, DIST);
  }
  if (existsSync(DIST)) {
    mkdirSync(path.dirname(BACKUP), { recursive: true });
    renameSync(DIST, BACKUP);
  }
}

function putBack() {
  rmSync(DIST, { recursive: true, force: true });
  if (existsSync(BACKUP)) renameSync(BACKUP, DIST);
}

before(
  () => {
    moveAside();
    for (const signal of ["SIGINT", "SIGTERM"]) {
      process.once(signal, () => {
        putBack();
        process.exit(130);
      });
    }
    const started = Date.now();
    // Only what a build needs, plus the canaries: nothing from the caller's env can stand in for them.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_OPTIONS: process.env.NODE_OPTIONS ?? "",
      NEXT_TELEMETRY_DISABLED: "1",
      ...SECRETS,
      ...PUBLIC,
    };
    const result = spawnSync(process.execPath, [NEXT_BIN, "build"], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    build = { status: result.status, seconds: (Date.now() - started) / 1000, output: `${result.stdout}\n${result.stderr}` };
    if (build.status === 0) scanned = browserFacingFiles(DIST);
  },
  { timeout: 15 * 60_000 },
);

after(putBack);

describe("a production build made with canary secrets", () => {
  test("builds", () => {
    assert.equal(build.status, 0, `next build failed:\n${build.output.slice(-4000)}`);
    console.log(`# next build with canary secrets: ${build.seconds.toFixed(1)} s; ${scanned.length} browser-facing files scanned`);
    assert.ok(scanned.some((file) => file.includes(`${path.sep}static${path.sep}chunks${path.sep}`)), "no client chunks found under .next/static");
  });

  for (const [name, value] of Object.entries(SECRETS)) {
    test(`contains ${name} in no browser-facing file`, () => {
      assert.equal(build.status, 0, "the build failed");
      assert.deepEqual(filesContaining(scanned, value), [], `${name}'s canary reached files the browser can load`);
    });
  }

  // Configuration is read by the running server, not baked in: the CSP names
  // the Supabase origin per request (proxy.ts), so a build can be deployed
  // against another project. Nothing the build wrote may hold the build's URL.
  test("bakes the Supabase URL into no file of the build, server or browser", () => {
    assert.equal(build.status, 0, "the build failed");
    assert.deepEqual(filesContaining(filesUnder(DIST), PUBLIC.NEXT_PUBLIC_SUPABASE_URL), []);
  });

  // Positive control: the scan can fail.

  test("finds a canary planted in a file, raw or base64-encoded at any offset", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "secret-canary-"));
    try {
      const token = SECRETS.REPLICATE_API_TOKEN;
      writeFileSync(path.join(dir, "raw.js"), `const token = "${token}";`);
      for (const prefix of ["", "x", "xy"]) {
        writeFileSync(path.join(dir, `base64-${prefix.length}.js`), `const data = "${Buffer.from(`${prefix}${token}!`).toString("base64")}";`);
      }
      writeFileSync(path.join(dir, "clean.js"), `const other = "${SECRETS.RECONCILE_SECRET}";`);
      const found = filesContaining(filesUnder(dir), token).map((file) => path.basename(file)).sort();
      assert.deepEqual(found, ["base64-0.js", "base64-1.js", "base64-2.js", "raw.js"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // No client component uses the publishable key today (lib/supabase/browser.ts
  // is imported by none; the session cookies are HttpOnly, so the browser only
  // talks to the app): it is absent, and would be allowed if that changed.
  test("reports where the public values went (allowed in the browser)", (t) => {
    assert.equal(build.status, 0, "the build failed");
    for (const [name, value] of Object.entries(PUBLIC)) {
      const files = filesContaining(scanned, value);
      t.diagnostic(`${name}: ${files.length ? files.join(", ") : "in no browser-facing file"}`);
    }
  });
});
