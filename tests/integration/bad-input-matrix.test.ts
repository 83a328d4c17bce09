import { randomBytes, randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { SignJWT } from "jose";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDatabase } from "@/lib/local/database";
import { loadSigningKey, signSessionToken } from "@/lib/local/session-token";
import type { ActionResult } from "@/lib/predictions/types";
import type { AuthFormState } from "@/lib/auth/form-state";
import { newWebhookSecret, signedWebhook } from "@/tests/fixtures/replicate-webhook";
import { MODEL_FIXTURES } from "@/tests/fixtures/replicate-models";
import { createReplicateApi, TEST_TOKEN } from "@/tests/msw/replicate-handlers";
import { passTime } from "@/tests/support/clock";
import { testCookies } from "@/tests/support/cookie-jar";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";

/**
 * Every entry point against bad input, as a table. The whole app runs in local
 * mode (real PGlite, real migrations, real files) with Replicate as the model,
 * served by msw, so "nothing left behind" can be checked everywhere at once:
 * no prediction, image or user row, no storage object, no file on disk (temp
 * files included), and no request to Replicate that could start or change a
 * prediction. Every case must answer 4xx with the JSON error shape (server
 * actions: `{ ok: false, error }`; sign-in forms: a message, no session).
 */

const testHeaders = new Headers();
vi.mock("next/headers", () => ({ cookies: async () => testCookies, headers: async () => testHeaders }));
vi.mock("next/cache", () => ({ revalidatePath: () => undefined }));

const { POST: create } = await import("@/app/api/replicate/route");
const { GET: poll } = await import("@/app/api/replicate/[id]/route");
const { POST: cancel } = await import("@/app/api/replicate/[id]/cancel/route");
const { GET: getFile } = await import("@/app/api/files/[...path]/route");
const { POST: webhook } = await import("@/app/api/webhooks/replicate/route");
const { saveGeneratedImage } = await import("@/app/dashboard/generate/actions");
const { deleteImage } = await import("@/app/dashboard/actions");
const { signIn, signUp } = await import("@/app/(auth)/actions");

const server = setupServer();
const api = createReplicateApi({ models: Object.values(MODEL_FIXTURES) });
const webhookSecret = newWebhookSecret();
const PASSWORD = "correct horse battery";

let app: LocalApp;
let alice: TestSession;
let bob: TestSession;
/** Alice's prediction whose image is saved, her file's path segments, and a prediction still starting. */
const fx = { savedId: "", imageId: "", fileSegments: [] as string[], runningId: "" };
/** Session cookies that must all be refused. */
const sessions: Record<string, string> = {};

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  server.use(...api.handlers);
  app = await startLocalApp({
    REPLICATE_API_TOKEN: TEST_TOKEN,
    REPLICATE_WEBHOOK_SIGNING_SECRET: webhookSecret,
    RATE_LIMIT_CREATES_PER_MINUTE: "100",
    RATE_LIMIT_CONCURRENT: "100",
  });
  alice = await app.signUp("alice@example.com", PASSWORD);
  bob = await app.signUp("bob@example.com", PASSWORD);

  app.actAs(alice);
  const saved = await (await create(jsonRequest("/api/replicate", { input: { prompt: "a kept image" } }), params({}))).json();
  let image: { id: string; url: string } | null = null;
  // The fake Replicate moves one step per read: processing, then succeeded (and the poll saves).
  // Polls read the model at most once per interval: let one pass before each.
  for (let i = 0; i < 3 && !image; i++) {
    passTime(5_000);
    image = (await (await poll(getRequest(saved.id), params({ id: saved.id }))).json()).images?.[0] ?? null;
  }
  vi.useRealTimers();
  fx.savedId = saved.id;
  fx.imageId = image!.id;
  fx.fileSegments = image!.url.replace("/api/files/", "").split("/");
  fx.runningId = (await (await create(jsonRequest("/api/replicate", { input: { prompt: "still going" } }), params({}))).json()).id;

  const key = await loadSigningKey(app.dataDir);
  // Signed with the real key and code, a week and a day ago: expired, nothing else wrong.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() - 8 * 24 * 3600_000);
  sessions.expired = await signSessionToken(alice.user, key);
  vi.useRealTimers();
  sessions.forged = await signSessionToken(alice.user, randomBytes(32));
  sessions.unknownUser = await signSessionToken({ id: randomUUID(), email: "ghost@example.com" }, key);
  sessions.serviceRole = await new SignJWT({ email: alice.user.email, role: "service_role" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(alice.user.id)
    .setIssuer("sdxl-studio-local")
    .setAudience("authenticated")
    .setExpirationTime("1h")
    .sign(key);
  const unsigned = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  sessions.algNone = `${unsigned({ alg: "none", typ: "JWT" })}.${unsigned({ sub: alice.user.id, email: alice.user.email, role: "authenticated", aud: "authenticated", iss: "sdxl-studio-local", exp: 9999999999 })}.`;
  sessions.garbage = "not-a-token";
});

afterAll(async () => {
  await app.stop();
  server.close();
});

// ---------------------------------------------------------------------------
// Ways to call each entry point
// ---------------------------------------------------------------------------

const url = (pathname: string) => new URL(pathname, "http://localhost:3000");
const getRequest = (id: string) => new Request(url(`/api/replicate/${encodeURIComponent(id)}`));
const createWith = (body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) =>
  create(new Request(url("/api/replicate"), { method: "POST", headers, body, duplex: "half" } as RequestInit), params({}));
const createInput = (input: unknown) => create(jsonRequest("/api/replicate", { input }), params({}));
const pollId = (id: string) => poll(getRequest(id), params({ id }));
const cancelId = (id: string) => cancel(new Request(url("/api/replicate/x/cancel"), { method: "POST" }), params({ id }));
const fileAt = (segments: string[], search = "") => getFile(new Request(url(`/api/files/x${search}`)), params({ path: segments }));
const form = (fields: Record<string, string | Blob>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  return data;
};
const rawWebhook = (headers: Record<string, string>, body: string) =>
  webhook(new Request(url("/api/webhooks/replicate"), { method: "POST", headers: { "content-type": "application/json", ...headers }, body }));
const signed = (body: unknown, options: { timestamp?: number; tamper?: string } = {}) =>
  webhook(signedWebhook({ body, secret: webhookSecret, ...options }));

const prompt = (text: string) => ({ prompt: text });
const huge = "x".repeat(100_000);
const nestedJson = `${"[".repeat(5000)}${"]".repeat(5000)}`;
const tooBigStream = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
      controller.close();
    },
  });

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

type Who = "alice" | "bob" | "nobody" | keyof typeof sessionKinds;
const sessionKinds = { expired: 1, forged: 1, unknownUser: 1, serviceRole: 1, algNone: 1, garbage: 1 } as const;

type Expect =
  | { http: number; code: string }
  /** A server action's `{ ok: false, error: { code } }`. */
  | { action: string }
  /** A sign-in/sign-up form answer: words for the person, no session, no redirect. */
  | { form: "fields" | "error"; message?: string };

type Case = { name: string; as: Who; call: () => Promise<unknown>; expect: Expect };

const http = (status: number, code: string): Expect => ({ http: status, code });
const E422 = http(422, "invalid_input");
const E404 = http(404, "not_found");
const E401 = http(401, "unauthorized");

const createCases: Case[] = [
  { name: "create: no body", as: "alice", call: () => createWith(null), expect: http(400, "bad_request") },
  { name: "create: malformed JSON", as: "alice", call: () => createWith("{not json"), expect: http(400, "bad_request") },
  { name: "create: truncated JSON", as: "alice", call: () => createWith('{"input": {"prompt": "a'), expect: http(400, "bad_request") },
  { name: "create: JSON string instead of an object", as: "alice", call: () => createWith('"a lighthouse"'), expect: E422 },
  { name: "create: JSON null", as: "alice", call: () => createWith("null"), expect: E422 },
  { name: "create: JSON array", as: "alice", call: () => createWith("[]"), expect: E422 },
  { name: "create: deeply nested JSON", as: "alice", call: () => createWith(nestedJson), expect: E422 },
  { name: "create: no input", as: "alice", call: () => createWith("{}"), expect: E422 },
  { name: "create: input is null", as: "alice", call: () => createInput(null), expect: E422 },
  { name: "create: no prompt", as: "alice", call: () => createInput({}), expect: E422 },
  { name: "create: prompt of 0 characters", as: "alice", call: () => createInput(prompt("")), expect: E422 },
  { name: "create: prompt of only spaces", as: "alice", call: () => createInput(prompt("   \n ")), expect: E422 },
  { name: "create: prompt of 2,001 characters", as: "alice", call: () => createInput(prompt("y".repeat(2001))), expect: E422 },
  { name: "create: prompt of 100,000 characters", as: "alice", call: () => createInput(prompt(huge)), expect: http(413, "payload_too_large") },
  { name: "create: prompt with a bell character", as: "alice", call: () => createInput(prompt("a\u0007b")), expect: E422 },
  { name: "create: prompt with NUL", as: "alice", call: () => createInput(prompt("a\u0000b")), expect: E422 },
  { name: "create: prompt with an escape sequence", as: "alice", call: () => createInput(prompt("\u001b[31mred")), expect: E422 },
  { name: "create: prompt with a lone surrogate", as: "alice", call: () => createWith('{"input":{"prompt":"a \\ud800 b"}}'), expect: E422 },
  { name: "create: negative prompt with DEL", as: "alice", call: () => createInput({ prompt: "ok", negative_prompt: "x\u007f" }), expect: E422 },
  { name: "create: prompt is a number", as: "alice", call: () => createInput({ prompt: 42 }), expect: E422 },
  { name: "create: prompt is an array", as: "alice", call: () => createInput({ prompt: ["a", "b"] }), expect: E422 },
  { name: "create: width as a string", as: "alice", call: () => createInput({ prompt: "ok", width: "1024" }), expect: E422 },
  { name: "create: width above the range", as: "alice", call: () => createInput({ prompt: "ok", width: 4096 }), expect: E422 },
  { name: "create: height below the range", as: "alice", call: () => createInput({ prompt: "ok", height: 128 }), expect: E422 },
  { name: "create: width of 1e309 (Infinity)", as: "alice", call: () => createWith('{"input":{"prompt":"ok","width":1e309}}'), expect: E422 },
  { name: "create: 0 steps", as: "alice", call: () => createInput({ prompt: "ok", num_inference_steps: 0 }), expect: E422 },
  { name: "create: 501 steps (SDXL allows 500)", as: "alice", call: () => createInput({ prompt: "ok", num_inference_steps: 501 }), expect: E422 },
  { name: "create: enum value the model does not offer", as: "alice", call: () => createInput({ prompt: "ok", scheduler: "FAST" }), expect: E422 },
  { name: "create: model the app does not offer", as: "alice", call: () => create(jsonRequest("/api/replicate", { model: "acme/other", input: prompt("ok") }), params({})), expect: E422 },
  { name: "create: model reference that is not text", as: "alice", call: () => create(jsonRequest("/api/replicate", { model: ["x"], input: prompt("ok") }), params({})), expect: E422 },
  { name: "create: file input (image URL from the browser)", as: "alice", call: () => createInput({ prompt: "ok", image: "https://evil.example/x.png" }), expect: E422 },
  { name: "create: fractional steps", as: "alice", call: () => createInput({ prompt: "ok", num_inference_steps: 1.5 }), expect: E422 },
  { name: "create: guidance below the range", as: "alice", call: () => createInput({ prompt: "ok", guidance_scale: 0.5 }), expect: E422 },
  { name: "create: guidance as a boolean", as: "alice", call: () => createInput({ prompt: "ok", guidance_scale: true }), expect: E422 },
  { name: "create: negative seed", as: "alice", call: () => createInput({ prompt: "ok", seed: -1 }), expect: E422 },
  { name: "create: seed of 2^32", as: "alice", call: () => createInput({ prompt: "ok", seed: 2 ** 32 }), expect: E422 },
  { name: "create: seed of 2^53 + 1", as: "alice", call: () => createWith('{"input":{"prompt":"ok","seed":9007199254740993}}'), expect: E422 },
  { name: "create: unknown input field", as: "alice", call: () => createInput({ prompt: "ok", disable_safety_checker: true }), expect: E422 },
  { name: "create: unknown top-level field (webhook)", as: "alice", call: () => create(jsonRequest("/api/replicate", { input: prompt("ok"), webhook: "https://evil.example" }), params({})), expect: E422 },
  { name: "create: __proto__ field", as: "alice", call: () => createWith('{"input":{"prompt":"ok","__proto__":{"width":64}}}'), expect: E422 },
  { name: "create: content type text/plain", as: "alice", call: () => createWith(JSON.stringify({ input: prompt("ok") }), { "content-type": "text/plain" }), expect: http(415, "unsupported_media_type") },
  { name: "create: no content type", as: "alice", call: () => createWith(JSON.stringify({ input: prompt("ok") }), {}), expect: http(415, "unsupported_media_type") },
  { name: "create: form-encoded body", as: "alice", call: () => createWith("prompt=ok", { "content-type": "application/x-www-form-urlencoded" }), expect: http(415, "unsupported_media_type") },
  { name: "create: multipart body", as: "alice", call: () => create(new Request(url("/api/replicate"), { method: "POST", body: form({ prompt: "ok" }) }), params({})), expect: http(415, "unsupported_media_type") },
  { name: "create: content type application/jsonx", as: "alice", call: () => createWith(JSON.stringify({ input: prompt("ok") }), { "content-type": "application/jsonx" }), expect: http(415, "unsupported_media_type") },
  { name: "create: declared length of 10 MB", as: "alice", call: () => createWith(JSON.stringify({ input: prompt("ok") }), { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) }), expect: http(413, "payload_too_large") },
  { name: "create: 40 KB streamed without a length", as: "alice", call: () => createWith(tooBigStream()), expect: http(413, "payload_too_large") },
];

const badIds = ["", ".", "..", "../../etc/passwd", "a/b", "a%2Fb", "a%00b", "a\u0000b", "a b", "ü", "x".repeat(65), "x".repeat(100_000)];

const pollCases: Case[] = [
  ...badIds.map((id): Case => ({ name: `poll: id ${JSON.stringify(id.slice(0, 20))}${id.length > 20 ? `… (${id.length})` : ""}`, as: "alice", call: () => pollId(id), expect: E404 })),
  { name: "poll: a well-formed id nobody made", as: "alice", call: () => pollId("abcdefghijklmnopqrstuvwxyz"), expect: E404 },
  { name: "poll: someone else's saved prediction", as: "bob", call: () => pollId(fx.savedId), expect: E404 },
  { name: "poll: someone else's running prediction", as: "bob", call: () => pollId(fx.runningId), expect: E404 },
];

const cancelCases: Case[] = [
  ...["", "..", "../x", "a/b", "a%00b", "x".repeat(100_000)].map((id): Case => ({ name: `cancel: id ${JSON.stringify(id.slice(0, 12))}${id.length > 12 ? "…" : ""}`, as: "alice", call: () => cancelId(id), expect: E404 })),
  { name: "cancel: someone else's running prediction", as: "bob", call: () => cancelId(fx.runningId), expect: E404 },
];

const fileCases: Case[] = [
  { name: "file: no path", as: "alice", call: () => fileAt([]), expect: E404 },
  { name: "file: empty segment", as: "alice", call: () => fileAt([""]), expect: E404 },
  { name: "file: out of the storage folder", as: "alice", call: () => fileAt(["..", "..", "auth-secret"]), expect: E404 },
  { name: "file: into the database folder", as: "alice", call: () => fileAt([alice.user.id, "..", "..", "pglite", "PG_VERSION"]), expect: E404 },
  { name: "file: encoded dots", as: "alice", call: () => fileAt(["%2e%2e", "%2e%2e", "auth-secret"]), expect: E404 },
  { name: "file: NUL in the name", as: "alice", call: () => fileAt([alice.user.id, "a\u0000.png"]), expect: E404 },
  { name: "file: %00 in the name", as: "alice", call: () => fileAt([alice.user.id, "a%00.png"]), expect: E404 },
  { name: "file: a hidden temp file", as: "alice", call: () => fileAt([alice.user.id, ".x.png.tmp"]), expect: E404 },
  { name: "file: a backslash path", as: "alice", call: () => fileAt([`${alice.user.id}\\..\\..\\auth-secret`]), expect: E404 },
  { name: "file: a 100,000-character name", as: "alice", call: () => fileAt([alice.user.id, huge]), expect: E404 },
  { name: "file: one that does not exist", as: "alice", call: () => fileAt([alice.user.id, "missing.png"]), expect: E404 },
  { name: "file: someone else's image", as: "bob", call: () => fileAt(fx.fileSegments), expect: E404 },
  { name: "file: someone else's image as a thumbnail", as: "bob", call: () => fileAt(fx.fileSegments, "?w=384"), expect: E404 },
];

const webhookCases: Case[] = [
  { name: "webhook: no signature headers", as: "nobody", call: () => rawWebhook({}, JSON.stringify({ id: "abc", status: "succeeded" })), expect: E401 },
  { name: "webhook: a wrong signature", as: "nobody", call: () => rawWebhook({ "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" }, JSON.stringify({ id: fx.runningId, status: "succeeded" })), expect: E401 },
  { name: "webhook: a garbage signature header", as: "nobody", call: () => rawWebhook({ "webhook-id": "msg_2", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "\u00ff".repeat(3000) }, "{}"), expect: E401 },
  { name: "webhook: a non-numeric timestamp", as: "nobody", call: () => rawWebhook({ "webhook-id": "msg_3", "webhook-timestamp": "soon", "webhook-signature": "v1,AAAA" }, "{}"), expect: E401 },
  { name: "webhook: signed an hour ago (replay)", as: "nobody", call: () => signed({ id: fx.runningId, status: "succeeded" }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }), expect: E401 },
  { name: "webhook: body changed after signing", as: "nobody", call: () => signed({ id: fx.runningId, status: "failed" }, { tamper: JSON.stringify({ id: fx.runningId, status: "succeeded" }) }), expect: E401 },
  { name: "webhook: declared length of 10 MB", as: "nobody", call: () => rawWebhook({ "webhook-id": "msg_4", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA", "content-length": String(10 * 1024 * 1024) }, "{}"), expect: http(413, "payload_too_large") },
  { name: "webhook: signed, empty body", as: "nobody", call: () => signed(""), expect: http(400, "bad_request") },
  { name: "webhook: signed, not JSON", as: "nobody", call: () => signed("{not json"), expect: http(400, "bad_request") },
  { name: "webhook: signed, not a prediction", as: "nobody", call: () => signed({ hello: "world" }), expect: http(400, "bad_request") },
  { name: "webhook: signed, an id with ../", as: "nobody", call: () => signed({ id: "../../etc", status: "succeeded" }), expect: http(400, "bad_request") },
  { name: "webhook: signed, an unknown status", as: "nobody", call: () => signed({ id: fx.runningId, status: "exploded" }), expect: http(400, "bad_request") },
];

const notFound = { action: "not_found" } as const;
const actionIds: Array<[string, unknown]> = [
  ["an empty id", ""],
  ["../", "../x"],
  ["a slash", "a/b"],
  ["NUL", "a\u0000b"],
  ["a 100,000-character id", huge],
  ["a number", 12345],
  ["null", null],
  ["undefined", undefined],
  ["an object", { id: "x" }],
];

const saveCases: Case[] = [
  ...actionIds.map(([label, id]): Case => ({ name: `saveGeneratedImage: ${label}`, as: "alice", call: () => saveGeneratedImage(id as string), expect: notFound })),
  { name: "saveGeneratedImage: someone else's running prediction", as: "bob", call: () => saveGeneratedImage(fx.runningId), expect: notFound },
  { name: "saveGeneratedImage: someone else's saved prediction", as: "bob", call: () => saveGeneratedImage(fx.savedId), expect: notFound },
];

const deleteCases: Case[] = [
  ...actionIds.map(([label, id]): Case => ({ name: `deleteImage: ${label}`, as: "alice", call: () => deleteImage(id as string), expect: notFound })),
  { name: "deleteImage: a uuid nobody has", as: "alice", call: () => deleteImage(randomUUID()), expect: notFound },
  { name: "deleteImage: someone else's image", as: "bob", call: () => deleteImage(fx.imageId), expect: notFound },
];

const wrong = "Wrong email or password.";
const authCases: Case[] = [
  { name: "signIn: nothing filled in", as: "nobody", call: () => signIn({}, form({})), expect: { form: "fields" } },
  { name: "signIn: not an email", as: "nobody", call: () => signIn({}, form({ email: "alice", password: PASSWORD })), expect: { form: "fields" } },
  { name: "signIn: email of 100,000 characters", as: "nobody", call: () => signIn({}, form({ email: `${huge}@example.com`, password: PASSWORD })), expect: { form: "fields" } },
  { name: "signIn: email with a control character", as: "nobody", call: () => signIn({}, form({ email: "ali\u0000ce@example.com", password: PASSWORD })), expect: { form: "fields" } },
  { name: "signIn: password of 100,000 characters", as: "nobody", call: () => signIn({}, form({ email: "alice@example.com", password: huge })), expect: { form: "fields" } },
  { name: "signIn: password sent as a file", as: "nobody", call: () => signIn({}, form({ email: "alice@example.com", password: new Blob([PASSWORD]) })), expect: { form: "fields" } },
  { name: "signIn: wrong password", as: "nobody", call: () => signIn({}, form({ email: "alice@example.com", password: "not it at all" })), expect: { form: "error", message: wrong } },
  { name: "signIn: unknown email", as: "nobody", call: () => signIn({}, form({ email: "nobody@example.com", password: PASSWORD })), expect: { form: "error", message: wrong } },
  { name: "signUp: nothing filled in", as: "nobody", call: () => signUp({}, form({})), expect: { form: "fields" } },
  { name: "signUp: short password", as: "nobody", call: () => signUp({}, form({ email: "new@example.com", password: "short" })), expect: { form: "fields" } },
  { name: "signUp: password of 100,000 characters", as: "nobody", call: () => signUp({}, form({ email: "new@example.com", password: huge })), expect: { form: "fields" } },
  { name: "signUp: email of 100,000 characters", as: "nobody", call: () => signUp({}, form({ email: `${huge}@example.com`, password: PASSWORD })), expect: { form: "fields" } },
  { name: "signUp: an email that has an account", as: "nobody", call: () => signUp({}, form({ email: "ALICE@example.com", password: PASSWORD })), expect: { form: "error", message: "An account with this email already exists. Sign in instead." } },
];

/** Every endpoint that needs a session, called correctly but by someone who is not signed in properly. */
const sessionCases: Case[] = (["nobody", ...Object.keys(sessionKinds)] as Who[]).flatMap((who): Case[] => [
  { name: `create as ${who}`, as: who, call: () => createInput(prompt("a valid prompt")), expect: E401 },
  { name: `poll as ${who}`, as: who, call: () => pollId(fx.runningId), expect: E401 },
  { name: `cancel as ${who}`, as: who, call: () => cancelId(fx.runningId), expect: E401 },
  { name: `file as ${who}`, as: who, call: () => fileAt(fx.fileSegments), expect: E401 },
  { name: `saveGeneratedImage as ${who}`, as: who, call: () => saveGeneratedImage(fx.runningId), expect: { action: "unauthorized" } },
  { name: `deleteImage as ${who}`, as: who, call: () => deleteImage(fx.imageId), expect: { action: "unauthorized" } },
]);

const cases: Case[] = [
  ...createCases,
  ...pollCases,
  ...cancelCases,
  ...fileCases,
  ...webhookCases,
  ...saveCases,
  ...deleteCases,
  ...authCases,
  ...sessionCases,
];

// ---------------------------------------------------------------------------
// What must not change
// ---------------------------------------------------------------------------

async function filesOnDisk(): Promise<string[]> {
  const root = path.join(app.dataDir, "storage");
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))).sort();
}

async function state() {
  const db = await getDatabase(app.dataDir);
  const count = async (table: string) => (await db.query<{ n: number }>(`select count(*)::int as n from ${table}`)).rows[0].n;
  return {
    predictions: await count("public.predictions"),
    images: await count("public.sdxl_images"),
    users: await count("auth.users"),
    storageObjects: await count("storage.objects"),
    predictionStatuses: (await db.query<{ s: string }>("select id || ':' || status as s from public.predictions order by id")).rows.map((r) => r.s),
    files: await filesOnDisk(),
    replicate: [...api.predictions.values()].map((p) => `${p.id}:${p.status}`).sort(),
    // Creates, reads, cancels and downloads: a refused request must not reach Replicate at all.
    replicateRequests: api.requests.length,
  };
}

function actAs(who: Who) {
  testCookies.clear();
  if (who === "alice") app.actAs(alice);
  else if (who === "bob") app.actAs(bob);
  else if (who !== "nobody") testCookies.set("sdxl-session", sessions[who]);
}

async function outcomeOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    // A server action that redirects throws; here that would mean a bad input got through.
    return { thrown: (error as { digest?: string }).digest ?? String(error) };
  }
}

describe(`bad input (${cases.length} cases)`, () => {
  it("has at least 40 cases, each named once", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases)("$name", async ({ as, call, expect: expected }) => {
    const before = await state();
    actAs(as);
    testHeaders.set("x-forwarded-for", "203.0.113.9");
    const outcome = await outcomeOf(call);

    if ("http" in expected) {
      expect(outcome).toBeInstanceOf(Response);
      const response = outcome as Response;
      expect(response.status).toBe(expected.http);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await response.json();
      expect(body).toEqual({ error: { code: expected.code, message: expect.any(String), ...(body.error.fields ? { fields: expect.any(Object) } : {}) } });
      if (expected.http === 429 || expected.http === 503) expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    } else if ("action" in expected) {
      const result = outcome as ActionResult<object>;
      expect(result).toEqual({ ok: false, error: { code: expected.action, message: expect.any(String) } });
    } else {
      const result = outcome as AuthFormState;
      expect(result).not.toHaveProperty("thrown");
      if (expected.form === "fields") expect(Object.keys(result.fields ?? {}).length).toBeGreaterThan(0);
      else expect(result.error).toBe(expected.message);
      expect(testCookies.has("sdxl-session")).toBe(false);
    }

    expect(await state()).toEqual(before);
  });
});

describe("after the whole table", () => {
  it("left alice's saved image and running prediction exactly as they were", async () => {
    app.actAs(alice);
    const saved = await (await pollId(fx.savedId)).json();
    expect(saved.images.map((image: { id: string }) => image.id)).toEqual([fx.imageId]);
    expect(api.predictions.get(fx.runningId)?.status).toBe("starting");
    const file = await fileAt(fx.fileSegments);
    expect(file.status).toBe(200);
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(file.headers.get("content-disposition")).toMatch(/^inline; filename="/);
  });
});
