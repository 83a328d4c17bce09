// Load: 50 people polling and 10 generating at once, against the production
// build (`next start`) in local mode, on loopback only. Run with
// `npm run test:load` (builds first when there is no build yet).
//
// Every request is timed; the test fails on any 5xx, any network error, any
// refusal (limits are raised for the run), any lost image, or a phase longer
// than the time limit. Figures are printed at the end.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { after, before, it } from "node:test";
import { build, nextClientAddress, startServer } from "../e2e/support/server.mjs";
import { recordedFetch } from "./recorded-fetch.mjs";

const POLLERS = 50;
const GENERATORS = 10;
/** Each generating person makes this many images, one after the other. */
const IMAGES_EACH = 1;
const POLL_INTERVAL_MS = 500;
/** The phase runs at least this long, so polling continues well past the last save. */
const MIN_PHASE_MS = 15_000;
const TIME_LIMIT_MS = 60_000;
const PASSWORD = "correct horse battery";
const RECONCILE_SECRET = randomBytes(32).toString("hex");
// Small images: the point is the app's concurrency, not the preview renderer's speed.
const INPUT = { width: 512, height: 512, num_inference_steps: 20 };
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let server;
const { samples, failures, request: timed } = recordedFetch({ baseUrl: () => server.baseUrl, timeoutMs: 30_000 });

before(async () => {
  if (!existsSync(path.resolve(".next/BUILD_ID"))) build();
  server = await startServer({
    LOCAL_MODEL_DURATION_MS: "1500",
    RATE_LIMIT_CREATES_PER_MINUTE: "100",
    RATE_LIMIT_CONCURRENT: "10",
    RECONCILE_SECRET,
  });
  assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/, "the load test talks to loopback only");
  // The first session check creates the database (tens of seconds on a busy
  // machine): done here, it is not charged to the first sign-ups' time limit.
  assert.equal((await fetch(`${server.baseUrl}/api/replicate/startup-probe`)).status, 401);
});

after(async () => {
  await server?.stop();
});

const decode = (text) =>
  text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/** Signs up through the real form, posted as a browser without JavaScript would (the form works before JS loads). */
async function signUp(email) {
  const page = await timed("signup page", "/signup");
  const form = page.body.toString("utf8").match(/<form[\s\S]*?<\/form>/)?.[0];
  assert.ok(form, "the sign-up page has a form");
  const data = new FormData();
  for (const [, name, value = ""] of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)) {
    data.append(decode(name), decode(value));
  }
  data.set("email", email);
  data.set("password", PASSWORD);
  const { response } = await timed("sign up", "/signup", {
    method: "POST",
    body: data,
    // Each person from their own address, as behind a proxy (see startServer's TRUSTED_PROXIES).
    headers: { origin: server.baseUrl, "x-forwarded-for": nextClientAddress() },
  });
  assert.equal(response.status, 303, `sign-up of ${email} redirects`);
  const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  assert.match(cookie, /sdxl-session=/);
  return { email, cookie };
}

async function inBatches(items, size, run) {
  const results = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return results;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startGeneration(person, prompt) {
  const { response, json } = await timed("create", "/api/replicate", {
    method: "POST",
    headers: { cookie: person.cookie, "content-type": "application/json" },
    body: JSON.stringify({ input: { prompt, ...INPUT } }),
  });
  assert.equal(response.status, 201, `create for ${person.email}`);
  return json().id;
}

async function pollOnce(person, id) {
  const { response, json } = await timed("poll", `/api/replicate/${id}`, { headers: { cookie: person.cookie } });
  assert.equal(response.status, 200, `poll of ${id}`);
  const view = json();
  assert.notEqual(view.status, "failed", `${id} failed: ${view.error}`);
  return view;
}

/** The saved image, checked end to end: the row (the poll's answer), the bytes served, the file on disk. */
async function verifyImage(person, id, image) {
  assert.ok(image?.id, `${id} has an image row`);
  const { response, body } = await timed("image", image.url, { headers: { cookie: person.cookie } });
  assert.equal(response.status, 200, `image of ${id} is served`);
  assert.equal(response.headers.get("content-type"), "image/png");
  assert.equal(response.headers.get("x-content-type-options"), "nosniff");
  assert.deepEqual([...body.subarray(0, 8)], PNG_SIGNATURE, `image of ${id} is a PNG`);
  const [userId, file] = image.url.replace("/api/files/", "").split("/");
  const onDisk = await stat(path.join(server.dataDir, "storage", "sdxl-images", userId, file));
  assert.equal(onDisk.size, body.byteLength, `the file of ${id} is on disk, whole`);
  return { id, userId };
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function report(phaseMs) {
  // Sign-up is set-up (scrypt on purpose); the phase is everything after it.
  const phase = samples.filter((s) => !["signup page", "sign up", "login page"].includes(s.kind));
  const kinds = [...new Set(samples.map((s) => s.kind))];
  const row = (label, list) =>
    `${label.padEnd(12)} ${String(list.length).padStart(6)} ${percentile(list, 50).toFixed(1).padStart(8)} ${percentile(list, 99).toFixed(1).padStart(8)} ${Math.max(0, ...list).toFixed(1).padStart(8)}`;
  const lines = [
    `# load: ${POLLERS} polling + ${GENERATORS} generating, phase ${(phaseMs / 1000).toFixed(1)} s, ${samples.length} requests in all`,
    `# ${"kind".padEnd(12)} ${"count".padStart(6)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)}`,
    ...kinds.map((kind) => `# ${row(kind, samples.filter((s) => s.kind === kind).map((s) => s.ms))}`),
    `# ${row("phase, all", phase.map((s) => s.ms))}`,
    `# statuses: ${JSON.stringify(groupCount(samples))}; phase throughput ${(phase.length / (phaseMs / 1000)).toFixed(0)} requests/s`,
  ];
  console.log(lines.join("\n"));
}

function groupCount(list) {
  const counts = {};
  for (const { status } of list) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

it(`${POLLERS} people polling and ${GENERATORS} generating at once: no errors, no lost image`, { timeout: 240_000 }, async () => {
  const security = await timed("login page", "/login");
  assert.match(security.response.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.doesNotMatch(security.response.headers.get("content-security-policy") ?? "", /unsafe-eval/);

  const emails = Array.from({ length: POLLERS + GENERATORS }, (_, i) => `load-${i}@example.com`);
  const people = await inBatches(emails, 6, signUp);
  const pollers = people.slice(0, POLLERS);
  const generators = people.slice(POLLERS);

  const phaseStarted = performance.now();
  const deadline = phaseStarted + TIME_LIMIT_MS;
  let generatorsDone = false;
  const saved = [];

  // 50 people: each follows one prediction, then keeps polling it (now answered from the stored image) until the phase ends.
  const polling = pollers.map(async (person, index) => {
    await sleep((index * POLL_INTERVAL_MS) / POLLERS); // arrive spread out, as people do
    const id = await startGeneration(person, `poller ${index}: a lighthouse at dawn`);
    let image = null;
    while (performance.now() < deadline) {
      const view = await pollOnce(person, id);
      image ??= view.images[0] ?? null;
      if (image && generatorsDone && performance.now() - phaseStarted >= MIN_PHASE_MS) break;
      await sleep(POLL_INTERVAL_MS);
    }
    saved.push({ person, ...(await verifyImage(person, id, image)) });
  });

  // 10 people: generate, follow each to its saved image, check it, and go again.
  const generating = generators.map(async (person, index) => {
    for (let n = 0; n < IMAGES_EACH; n++) {
      const id = await startGeneration(person, `generator ${index}, image ${n}: a paper boat`);
      let view;
      do {
        await sleep(POLL_INTERVAL_MS);
        view = await pollOnce(person, id);
        assert.ok(performance.now() < deadline, `${id} was not saved within the time limit`);
      } while (view.images.length === 0);
      saved.push({ person, ...(await verifyImage(person, id, view.images[0])) });
    }
  });

  await Promise.all(generating).finally(() => (generatorsDone = true));
  await Promise.all(polling);
  const phaseMs = performance.now() - phaseStarted;
  assert.ok(phaseMs < TIME_LIMIT_MS, `the phase took ${phaseMs} ms`);

  // Each gallery shows that person's images and nobody else's.
  await inBatches(people, 10, async (person) => {
    const { response, body } = await timed("gallery", "/dashboard", { headers: { cookie: person.cookie } });
    assert.equal(response.status, 200);
    const html = body.toString("utf8");
    for (const image of saved) {
      const shown = html.includes(`${image.userId}/${image.id}`);
      assert.equal(shown, image.person === person, `${person.email}'s gallery ${shown ? "shows" : "lacks"} ${image.id}`);
    }
  });

  // Nothing was left for reconcile to pick up: every success was saved while people watched.
  const reconcile = spawnSync(process.execPath, ["scripts/reconcile.mjs", server.baseUrl], {
    env: { ...process.env, RECONCILE_SECRET },
    encoding: "utf8",
  });
  assert.equal(reconcile.status, 0, reconcile.stderr);
  assert.match(reconcile.stdout, /"saved":0/);

  report(phaseMs);
  assert.equal(saved.length, POLLERS + GENERATORS * IMAGES_EACH, "every generation has its image");
  assert.deepEqual(failures, [], `failed requests:\n${failures.join("\n")}\n--- server output ---\n${server.output().slice(-4000)}`);
});
