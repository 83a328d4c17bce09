import { randomBytes } from "node:crypto";

/**
 * The address of the socket a request came in on, for the app to read.
 *
 * `next start` puts the socket's address in X-Forwarded-For only when the
 * request has none (`??=` in Next's base server), so a client that sends its
 * own X-Forwarded-For hides its real address from every route, action and the
 * proxy; Next exposes the socket nowhere else. This stamps the address into a
 * request header of our own as the request arrives at the HTTP server, before
 * Next reads it (lib/http/server-edge.ts). The stamp is replaced on every request, so a client cannot set
 * it, and it carries a random per-process token, so where the stamp is not
 * installed (tests, another server) a forged header is not believed either.
 */
export const PEER_ADDRESS_HEADER = "x-sdxl-peer-address";

const TOKEN = Symbol.for("sdxl-studio.peer-address-token");

type Store = typeof globalThis & { [TOKEN]?: string };

// On globalThis: instrumentation and the app's server bundles are separate module copies in one process.
function token(): string {
  const store = globalThis as Store;
  return (store[TOKEN] ??= randomBytes(16).toString("hex"));
}

type RawHeaders = Record<string, string | string[] | undefined>;

export function stampPeerAddress(headers: RawHeaders, address: string | undefined): void {
  headers[PEER_ADDRESS_HEADER] = `${token()} ${address ?? ""}`;
}

/** The stamped socket address, or null when there is no genuine stamp. */
export function peerAddressFrom(headers: { get(name: string): string | null }): string | null {
  const value = headers.get(PEER_ADDRESS_HEADER);
  if (!value) return null;
  const [sentToken, address] = value.split(" ");
  return sentToken === token() && address ? address : null;
}
