// The server stopping between `succeeded` and the save, for real: `next start`
// in local mode is stopped while a prediction runs, the prediction finishes
// while no server is up, and the next server saves it at start-up (the
// reconcile run instrumentation.ts starts) before anyone polls. Loopback only.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { build, startServer } from "../e2e/support/server.mjs";
import { signUp } from "./sign-up.mjs";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "sdxl-restart-"));
let server;

before(() => {
  if (!existsSync(path.resolve(".next/BUILD_ID"))) build();
});

after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("an image that finished while no server was running is saved when the next one starts", { timeout: 120_000 }, async () => {
  const env = { DATA_DIR: dataDir, LOCAL_MODEL_DURATION_MS: "2000" };
  server = await startServer(env);
  const person = await signUp(server.baseUrl, "restart@example.com");
  const created = await fetch(`${server.baseUrl}/api/replicate`, {
    method: "POST",
    headers: { cookie: person.cookie, "content-type": "application/json" },
    body: JSON.stringify({ input: { prompt: "finished while the server was down", width: 256, height: 256 } }),
  });
  assert.equal(created.status, 201);
  const { id, status } = await created.json();
  assert.equal(status, "starting");

  // Stopped mid-run: nobody polls, and the run ends while no server is up.
  await server.stop();
  server = undefined;
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const file = path.join(dataDir, "storage", "sdxl-images", person.userId, `${id}.png`);
  assert.equal(existsSync(file), false);

  server = await startServer(env);
  const deadline = Date.now() + 20_000;
  while (!existsSync(file)) {
    assert.ok(Date.now() < deadline, "the restarted server saved the image without being asked");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok((await stat(file)).size > 0);

  const polled = await (await fetch(`${server.baseUrl}/api/replicate/${id}`, { headers: { cookie: person.cookie } })).json();
  assert.equal(polled.status, "succeeded");
  assert.deepEqual(polled.images.map((image) => image.url), [`/api/files/${person.userId}/${id}.png`]);
});
