import { BlockList, isIPv4 } from "node:net";
import type { TrustedProxies } from "@/lib/env";
import { peerAddressFrom } from "@/lib/http/peer-address";

type HeaderReader = { get(name: string): string | null };

/**
 * The client's address, for per-address limits; null when it cannot be known.
 * Forwarded headers are believed only as far as the configured proxies vouch
 * for them (TRUSTED_PROXIES in lib/env.ts), because anyone can send them:
 *
 * - socket (the default off Vercel): the address the TCP connection came from,
 *   stamped by lib/http/peer-address.ts; X-Forwarded-For and X-Real-IP are ignored.
 * - vercel (the default on Vercel): X-Vercel-Forwarded-For, else X-Real-IP,
 *   which Vercel's edge sets and overwrites whatever the client sent.
 * - a list of proxy addresses/ranges: start from the socket and step back
 *   through X-Forwarded-For (each proxy appends the address it was called
 *   from) while the current hop is one of the listed proxies; the first hop
 *   that is not one is the client.
 *
 * Capped, so a huge header cannot become a huge key.
 */
export function clientAddressFrom(headers: HeaderReader, trust: TrustedProxies): string | null {
  const address = resolve(headers, trust);
  return address ? normalise(address).slice(0, 64) : null;
}

function resolve(headers: HeaderReader, trust: TrustedProxies): string | null {
  if (trust.kind === "vercel") {
    return firstEntry(headers.get("x-vercel-forwarded-for")) ?? firstEntry(headers.get("x-real-ip"));
  }
  const peer = peerAddressFrom(headers);
  if (trust.kind === "socket" || !peer) return peer;

  const proxies = blockListOf(trust.entries);
  const chain = (headers.get("x-forwarded-for") ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
  let address = normalise(peer);
  while (isTrusted(proxies, address) && chain.length > 0) address = normalise(chain.pop()!);
  return address;
}

function firstEntry(value: string | null): string | null {
  return value?.split(",")[0]?.trim() || null;
}

/** `::ffff:203.0.113.9` (an IPv4 client on a dual-stack socket) is 203.0.113.9. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1] : address;
}

function isTrusted(proxies: BlockList, address: string): boolean {
  try {
    return proxies.check(address, isIPv4(address) ? "ipv4" : "ipv6");
  } catch {
    // Not an address at all (a made-up X-Forwarded-For entry): certainly not a proxy of ours.
    return false;
  }
}

const blockLists = new Map<string, BlockList>();
function blockListOf(entries: string[]): BlockList {
  const key = entries.join(",");
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const entry of entries) {
      const [address, prefix] = entry.split("/");
      const type = isIPv4(address) ? "ipv4" : "ipv6";
      if (prefix === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(prefix), type);
    }
    blockLists.set(key, list);
  }
  return list;
}
