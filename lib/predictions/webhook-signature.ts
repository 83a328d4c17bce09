import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Replicate's webhook signature (the Standard Webhooks scheme): the
 * `webhook-signature` header is a space-separated list of `v1,<base64>`
 * entries, each an HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the
 * base64 bytes after the secret's `whsec_` prefix. replicate 1.4.0's
 * validateWebhook checks the same thing but compares with `===`, which leaks
 * through timing how much of a guess was right; this compares in constant time,
 * and accepts any of several secrets so one can be rotated without dropping
 * deliveries signed with the other.
 */
export function verifyWebhookSignature({
  id,
  timestamp,
  body,
  header,
  secrets,
}: {
  id: string;
  timestamp: string;
  body: string;
  header: string;
  secrets: string[];
}): boolean {
  const given = header
    .split(" ")
    .map((entry) => entry.split(","))
    .filter(([version, signature]) => version === "v1" && signature)
    .map(([, signature]) => Buffer.from(signature, "base64"));
  if (given.length === 0) return false;
  let valid = false;
  for (const secret of secrets) {
    // As validateWebhook does: the key is what follows the last underscore (`whsec_<base64>`).
    const key = Buffer.from(secret.split("_").pop() ?? "", "base64");
    const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
    // Every pair is compared, so the time taken says nothing about which one matched.
    for (const signature of given) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
    }
  }
  return valid;
}
