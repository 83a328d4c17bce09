import http from "node:http";
import { parseAndValidateFlightRouterState } from "next/dist/server/app-render/parse-and-validate-flight-router-state";
import { stampPeerAddress } from "@/lib/http/peer-address";

/**
 * The two things that must happen to a request before Next touches it, done
 * as it reaches the HTTP server (`next start`'s included); installed once from
 * instrumentation.ts:
 *
 * - its socket address is stamped (lib/http/peer-address.ts), as Next exposes
 *   it nowhere a client cannot overwrite;
 * - TRACE, TRACK and CONNECT are answered 405: a fetch Request cannot hold
 *   them, so Next fails to build one and answers a 500 before proxy.ts runs;
 * - a Next-Router-State-Tree header Next's own parser rejects is answered 400:
 *   Next strips it from what proxy.ts sees, then throws on it (a 500).
 *
 * Wrapping `emit("request")` on the prototype is the only hook that runs
 * before Next's request handler; it touches nothing else.
 */
const INSTALLED = Symbol.for("sdxl-studio.server-edge-installed");
const UNSERVABLE_METHODS = new Set(["TRACE", "TRACK", "CONNECT"]);
export const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

export function installServerEdge(): void {
  const proto = http.Server.prototype as http.Server & { [INSTALLED]?: boolean };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const emit = proto.emit as (this: http.Server, event: string | symbol, ...args: unknown[]) => boolean;
  proto.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const [request, response] = args as [http.IncomingMessage, http.ServerResponse];
      if (answeredAtTheEdge(request, response)) return true;
      stampPeerAddress(request.headers, request.socket?.remoteAddress);
    }
    return emit.call(this, event, ...args);
  } as typeof proto.emit;
}

function answeredAtTheEdge(request: http.IncomingMessage, response: http.ServerResponse): boolean {
  if (UNSERVABLE_METHODS.has(request.method ?? "")) {
    return answer(request, response, 405, { code: "method_not_allowed", message: `${request.method} is not supported.` }, { allow: ALLOWED_METHODS });
  }
  const routerState = request.headers["next-router-state-tree"];
  if (routerState !== undefined && !isRouterState(routerState)) {
    return answer(request, response, 400, { code: "bad_request", message: "The router state header is not valid." });
  }
  return false;
}

function isRouterState(value: string | string[]): boolean {
  try {
    // Next's own parser, so what passes here is exactly what Next accepts.
    parseAndValidateFlightRouterState(value);
    return true;
  } catch {
    return false;
  }
}

function answer(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  status: number,
  error: { code: string; message: string },
  headers: Record<string, string> = {},
): true {
  const body = JSON.stringify({ error });
  response.writeHead(status, { ...headers, "content-type": "application/json", "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  response.end(body);
  // The request body, if any, is not wanted: let the socket move on.
  request.resume();
  return true;
}
