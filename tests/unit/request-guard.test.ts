import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "@/proxy";

/**
 * Requests Next itself would answer with a 500 (or would act on for another
 * site) are answered by the proxy first: a 4xx in the app's JSON error shape,
 * with nothing about the server in it.
 */

const APP = "http://localhost:3000";

function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new NextRequest(new URL(path, APP), { method: init.method ?? "GET", headers: { host: "localhost:3000", ...init.headers }, body: init.body });
}

async function expectRefused(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.json();
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
  expect(JSON.stringify(body)).not.toMatch(/at |node_modules|Error:/);
}

const actionHeaders = { "next-action": "7f".repeat(21), "content-type": "text/plain;charset=UTF-8" };

describe("the proxy refuses what Next would 500 on", () => {
  it.each(["/api/replicate/%E0%A4%A", "/api/files/%", "/api/replicate/abc%zz/cancel", "/dashboard/%C0%AF"])(
    "bad percent-encoding in the path (%s) is a 400",
    async (path) => {
      await expectRefused(await proxy(request(path)), 400, "bad_request");
    },
  );

  it.each([
    ["not JSON", "%7Bnot-json"],
    ["bad percent-encoding", "%E0%A4%A"],
    ["JSON of the wrong shape", encodeURIComponent(JSON.stringify({ children: 1 }))],
    ["two headers' worth", `${encodeURIComponent('["",{}]')}, ${encodeURIComponent('["",{}]')}`],
  ])("a router-state header that is %s is a 400", async (_label, value) => {
    await expectRefused(await proxy(request("/dashboard", { headers: { rsc: "1", "next-router-state-tree": value } })), 400, "bad_request");
  });

  it("lets a well-formed router-state header through", async () => {
    const value = encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}] }]));
    const response = await proxy(request("/", { headers: { rsc: "1", "next-router-state-tree": value } }));
    expect(response.status).toBe(200);
  });

  it.each([
    ["from another site", { origin: "https://evil.example" }],
    ["from a sibling origin", { origin: "http://evil.localhost:3000", "sec-fetch-site": "same-site" }],
    ["with Origin: null", { origin: "null" }],
    ["with an Origin that is not a URL", { origin: "not a url" }],
  ])("a server-action call %s is a 403", async (_label, headers) => {
    const response = await proxy(request("/login", { method: "POST", headers: { ...actionHeaders, ...headers }, body: "[]" }));
    await expectRefused(response, 403, "forbidden");
  });

  it("refuses a no-JavaScript form post (multipart) to a page from another site", async () => {
    const response = await proxy(request("/login", { method: "POST", headers: { origin: "https://evil.example", "content-type": "multipart/form-data; boundary=x" }, body: "--x--" }));
    await expectRefused(response, 403, "forbidden");
  });

  it("leaves server-to-server endpoints to their own authentication", async () => {
    const response = await proxy(request("/api/webhooks/replicate", { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: "{}" }));
    expect(response.status).toBe(200);
  });

  it("lets a same-origin server-action call through", async () => {
    const response = await proxy(request("/login", { method: "POST", headers: { ...actionHeaders, origin: APP, "sec-fetch-site": "same-origin" }, body: "[]" }));
    expect(response.status).toBe(200);
  });

});
