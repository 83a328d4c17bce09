import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientAddressFrom } from "@/lib/auth/client-address";
import { parseServerEnv } from "@/lib/env";
import { installServerEdge } from "@/lib/http/server-edge";

/** A real HTTP server with the edge installed, standing in for `next start`'s. */
let server: http.Server;
let port: number;
const seen: Array<{ method?: string; address: string | null }> = [];

beforeAll(async () => {
  installServerEdge();
  server = http.createServer((request, response) => {
    const headers = new Headers(request.headers as Record<string, string>);
    seen.push({ method: request.method, address: clientAddressFrom(headers, parseServerEnv({}).trustedProxies) });
    response.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function send(method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, method, path: "/", headers }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject).end();
  });
}

describe("the server edge", () => {
  it.each(["TRACE"])("answers %s with a JSON 405 before the app sees it", async (method) => {
    seen.length = 0;
    const response = await send(method);
    expect(response.status).toBe(405);
    expect(response.headers.allow).toContain("GET");
    expect(JSON.parse(response.body)).toEqual({ error: { code: "method_not_allowed", message: `${method} is not supported.` } });
    expect(seen).toEqual([]);
  });

  it.each([
    ["not JSON", "%7Bx"],
    ["JSON of the wrong shape", "%7B%7D"],
    ["bad percent-encoding", "%E0%A4%A"],
  ])("answers a router-state header that is %s with a JSON 400", async (_label, value) => {
    seen.length = 0;
    const response = await send("GET", { rsc: "1", "next-router-state-tree": value });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: { code: "bad_request", message: "The router state header is not valid." } });
    expect(seen).toEqual([]);
  });

  it("passes a well-formed router-state header on", async () => {
    seen.length = 0;
    const value = encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}] }]));
    expect((await send("GET", { rsc: "1", "next-router-state-tree": value })).status).toBe(200);
  });

  it("stamps the socket's address, which a client's own headers cannot change", async () => {
    seen.length = 0;
    await send("GET", { "x-forwarded-for": "198.51.100.1", "x-sdxl-peer-address": "guess 198.51.100.2" });
    expect(seen).toEqual([{ method: "GET", address: "127.0.0.1" }]);
  });
});
