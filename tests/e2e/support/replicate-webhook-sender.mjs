// The stand-in's webhooks, sent as Replicate sends them
// (replicate.com/docs/topics/webhooks): to the prediction's `webhook`, only the
// events in its `webhook_events_filter`, each body the prediction as it stands,
// signed (tests/support/webhook-signing.mjs). `start` as the run is taken on,
// `logs` when the logs changed but at most every 500 ms, `output` and then
// `completed` at the end. Only `completed` is retried when the app does not
// answer 2xx, for about a minute. One prediction's deliveries go out in order.
import { webhookHeaders } from "../../support/webhook-signing.mjs";

const LOGS_EVERY_MS = 500;
/** Waits between attempts of a `completed` delivery: about a minute in all. */
const COMPLETED_RETRIES_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
const FINAL = new Set(["succeeded", "failed", "canceled"]);

/**
 * `current(entry)` is the stand-in's clock: the prediction as it stands now.
 * `follow(entry)` starts (or, after a cancel, re-checks at once) the deliveries
 * of a prediction created with a webhook; without a secret nothing is sent.
 */
export function createWebhookSender({ secret, current, queueMs, runMs }) {
  /** Every attempt: { predictionId, event, status, attempt }; status 0 when the app did not answer. */
  const deliveries = [];
  const timers = new Set();
  const chains = new Set();
  let stopped = false;

  const after = (ms, run) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) run();
    }, ms);
    timers.add(timer);
    return timer;
  };

  async function post(prediction, event, body) {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const response = await fetch(prediction.webhook, {
          method: "POST",
          headers: { "content-type": "application/json", ...webhookHeaders({ body, secret }) },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      deliveries.push({ predictionId: prediction.id, event, status, attempt });
      const ok = status >= 200 && status < 300;
      const wait = COMPLETED_RETRIES_MS[attempt - 1];
      if (ok || event !== "completed" || wait === undefined || stopped) return;
      await new Promise((resolve) => after(wait, resolve));
    }
  }

  /** Queues `event` behind the prediction's earlier deliveries, with the body as it is now. */
  function deliver(entry, event) {
    const prediction = entry.prediction;
    if (!prediction.webhook_events_filter.includes(event)) return;
    const body = JSON.stringify(prediction);
    const chain = (entry.webhookChain ?? Promise.resolve()).then(() => (stopped ? undefined : post(prediction, event, body)));
    entry.webhookChain = chain;
    chains.add(chain);
    chain.finally(() => chains.delete(chain));
  }

  function tick(entry) {
    const state = entry.webhookState;
    state.timer = null;
    const prediction = current(entry);
    if (!state.started) {
      state.started = true;
      deliver(entry, "start");
    }
    if (FINAL.has(prediction.status)) {
      if (prediction.status === "succeeded") deliver(entry, "output");
      deliver(entry, "completed");
      state.done = true;
      return;
    }
    if (prediction.status === "processing" && prediction.logs !== state.logs) {
      state.logs = prediction.logs;
      deliver(entry, "logs");
    }
    // Next look: in 500 ms, or when the run ends if sooner (the end is sent without waiting).
    const endsIn = entry.createdAt + queueMs + runMs - Date.now();
    state.timer = after(Math.max(1, Math.min(LOGS_EVERY_MS, endsIn)), () => tick(entry));
  }

  return {
    deliveries,
    follow(entry) {
      if (!secret || !entry.prediction.webhook || stopped) return;
      entry.webhookState ??= { started: false, logs: "", timer: null, done: false };
      const state = entry.webhookState;
      if (state.done) return;
      if (state.timer) {
        clearTimeout(state.timer);
        timers.delete(state.timer);
      }
      tick(entry);
    },
    /** Resolves when nothing is being sent or waiting to be. */
    async settled() {
      while (chains.size > 0) await Promise.allSettled([...chains]);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
