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
    ["from another site", { origin: "https://evil.example" }],
    ["from a sibling origin", { origin: "http://evil.localhost:3000", "sec-fetch-site": "same-site" }],
    ["with Origin: null", { origin: "null" }],
    ["with an Origin that is not a URL", { origin: "not a url" }],
  ])("a server-action call %s is a 403", async (_label, headers) => {
    const response = await proxy(request("/login", { method: "POST", headers: { ...actionHeaders, ...headers }, body: "[]" }));
    await expectRefused(response, 403, "forbidden");
  });

  const sameOrigin = { ...actionHeaders, origin: APP, "sec-fetch-site": "same-origin" };
  it.each([
    ["not JSON", "{not json"],
    ["a reference to a part that is not there", '["$1"]'],
    ["a FormData reference with no parts", '["$K1"]'],
    ["a Map reference", '["$Q7"]'],
    ["a promise", '["$@1"]'],
    ["a server reference", '["$F1"]'],
    ["a stream", '["$R1"]'],
  ])("a server-action body that is %s is a 400", async (_label, body) => {
    await expectRefused(await proxy(request("/login", { method: "POST", headers: sameOrigin, body })), 400, "bad_request");
  });

  it("a multipart server-action body that does not parse is a 400", async () => {
    const headers = { ...sameOrigin, "content-type": "multipart/form-data; boundary=zzz" };
    await expectRefused(await proxy(request("/login", { method: "POST", headers, body: "garbage" })), 400, "bad_request");
  });

  it.each([
    ["no arguments", "[]", "text/plain;charset=UTF-8"],
    ["an id", '["0b6f3c55-4a0e-4f4e-9a49-0f8a3a3c2b11"]', "text/plain;charset=UTF-8"],
    ["a previous state and a FormData", null, null],
  ])("lets a well-formed server-action body through: %s", async (_label, text, contentType) => {
    let body: BodyInit;
    const headers: Record<string, string> = { ...sameOrigin };
    if (text === null) {
      const form = new FormData();
      form.set("_1_email", "a@example.com");
      form.set("_1_password", "$ecret with a dollar");
      form.set("0", JSON.stringify([{ email: "$$a" }, "$K1"]));
      body = form;
      delete headers["content-type"];
    } else {
      body = text;
      headers["content-type"] = contentType!;
    }
    const response = await proxy(new NextRequest(new URL("/login", APP), { method: "POST", headers: { host: "localhost:3000", ...headers }, body }));
    expect(response.status).toBe(200);
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
