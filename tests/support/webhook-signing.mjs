// Replicate's webhook signature (the Standard Webhooks scheme), as Replicate
// computes it: `webhook-signature` is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
// keyed with the base64 bytes after the secret's `whsec_` prefix
// (replicate.com/docs/topics/webhooks/verify-webhook). Written with node:crypto,
// independently of the app's verifier (lib/predictions/webhook-signature.ts), and
// shared by the msw fixture (tests/fixtures/replicate-webhook.ts) and the
// loopback stand-in (tests/e2e/support/replicate-stand-in.mjs).
import { createHmac, randomBytes } from "node:crypto";

/** The three headers Replicate sends with a delivery of `body` (the exact text posted). */
export function webhookHeaders({ body, secret, id = `msg_${randomBytes(12).toString("hex")}`, timestamp = Math.floor(Date.now() / 1000) }) {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}
