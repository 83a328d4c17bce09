// Reads of Replicate per generation: people generating on the Replicate model
// pointed at the loopback stand-in (tests/e2e/support/replicate-stand-in.mjs),
// each followed by one or three tabs polling as the page does
// (tests/load/page-poll.mjs), with webhooks (the stand-in sends signed
// start/logs/completed deliveries) and without. The stand-in counts every
// GET /v1/predictions/{id}. Replicate allows 3,000 reads a minute per account:
// reads per generation is what sets how many people can generate at once.
import { randomBytes } from "node:crypto";
import { freePort, startServer } from "../tests/e2e/support/server.mjs";
import { startReplicateStandIn } from "../tests/e2e/support/replicate-stand-in.mjs";
import { followLikeAPage, PAGE_POLL } from "../tests/load/page-poll.mjs";
import { signUp } from "../tests/load/sign-up.mjs";

/** A short run, as fast models take: queued 0.5 s, then 4 s of steps. */
const RUN = { queueMs: 500, runMs: 4_000 };

async function generate(baseUrl, person, tabs, prompt) {
  const headers = { cookie: person.cookie, "content-type": "application/json" };
  const created = await fetch(`${baseUrl}/api/replicate`, { method: "POST", headers, body: JSON.stringify({ input: { prompt, width: 512, height: 512 } }) });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`);
  const { id } = await created.json();
  const poll = async () => {
    const response = await fetch(`${baseUrl}/api/replicate/${id}`, { headers });
    if (response.status !== 200) throw new Error(`poll answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  await Promise.all(Array.from({ length: tabs }, (_, tab) => followLikeAPage({ poll, startAfterMs: PAGE_POLL.firstMs + tab * 150, deadline: performance.now() + 60_000 })));
  return id;
}

/** { webhooks, tabs, generations, reads, perGeneration, max } for each of webhooks on/off × 1/3 tabs. */
export async function measureUpstreamReads({ people: count = 6, env = {}, log = () => {} } = {}) {
  const figures = [];
  for (const webhooks of [true, false]) {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const standIn = await startReplicateStandIn({ models: ["stability-ai/sdxl"], ...RUN, webhookSecret: webhooks ? secret : undefined });
    const port = await freePort();
    const server = await startServer(
      {
        ...standIn.env(),
        ...env,
        ...(webhooks ? { REPLICATE_WEBHOOK_SIGNING_SECRET: secret, REPLICATE_WEBHOOK_BASE_URL: `http://127.0.0.1:${port}` } : {}),
      },
      { port },
    );
    try {
      const people = [];
      for (let i = 0; i < count; i++) people.push(await signUp(server.baseUrl, `reads-${webhooks ? "on" : "off"}-${i}@example.com`));
      for (const tabs of [1, 3]) {
        const ids = await Promise.all(people.map((person, i) => generate(server.baseUrl, person, tabs, `reads ${i}, ${tabs} tabs`)));
        const reads = ids.map((id) => standIn.readsOf(id));
        const total = reads.reduce((sum, n) => sum + n, 0);
        const figure = { webhooks, tabs, generations: ids.length, reads: total, perGeneration: total / ids.length, max: Math.max(...reads), throttled: standIn.throttled.reads };
        log(`upstream reads, webhooks ${webhooks ? "on" : "off"}, ${tabs} tab(s): ${figure.perGeneration.toFixed(2)} per generation (max ${figure.max})`);
        figures.push(figure);
      }
    } finally {
      await server.stop();
      await standIn.close();
    }
  }
  return { figures, runMs: RUN.queueMs + RUN.runMs };
}
