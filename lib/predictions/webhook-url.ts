import { isIP } from "node:net";
import type { ServerEnv } from "@/lib/env";

export const REPLICATE_WEBHOOK_PATH = "/api/webhooks/replicate";

/**
 * The webhook Replicate should call as a prediction starts, logs and
 * finishes, or undefined when it would be useless: the model is not
 * Replicate, no signing secret is configured (an unverifiable webhook is
 * refused by the handler), or Replicate could not reach the app (APP_URL not
 * https, or a loopback/private host). REPLICATE_WEBHOOK_BASE_URL, when set, is
 * used as given (a tunnel in development, a loopback stand-in in tests).
 * Without a webhook the app reads the model instead, one shared read per
 * prediction (lib/predictions/shared-read.ts).
 */
export function webhookUrlFor(env: ServerEnv): string | undefined {
  if (env.model.kind !== "replicate" || !env.model.webhookSigningSecret) return undefined;
  const base = env.model.webhookBaseUrl ?? env.appUrl;
  if (!base) return undefined;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return undefined;
  }
  if (!env.model.webhookBaseUrl && (url.protocol !== "https:" || !isPublicHostname(url.hostname))) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}${REPLICATE_WEBHOOK_PATH}`;
}

const PRIVATE_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan"];

/** False for names and addresses only reachable from the machine or its private network. */
export function isPublicHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) return false;
  const version = isIP(host);
  if (version === 4) return !isPrivateIPv4(host);
  if (version === 6) return !isPrivateIPv6(host);
  // A single-label name ("studio") only resolves inside a private network.
  return host.includes(".");
}

function isPrivateIPv4(address: string): boolean {
  const [a, b] = address.split(".").map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224 // multicast and reserved
  );
}

function isPrivateIPv6(address: string): boolean {
  if (address === "::" || address === "::1") return true;
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateIPv4(mapped[1]);
  // WHATWG URL writes IPv4-mapped addresses in hex: ::ffff:7f00:1.
  const hexMapped = address.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (hexMapped) {
    const [high, low] = [parseInt(hexMapped[1], 16), parseInt(hexMapped[2], 16)];
    return isPrivateIPv4(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  const first = parseInt(address.split(":")[0] || "0", 16);
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80; // unique-local, link-local
}
