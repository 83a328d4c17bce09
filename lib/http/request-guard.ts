import { NextResponse } from "next/server";
import { AppError, toErrorBody } from "@/lib/errors";
import { crossOriginRefusal } from "@/lib/http/same-origin";

/**
 * What proxy.ts refuses before Next sees it: requests Next itself would answer
 * with a 500 (and a logged stack) rather than a 4xx, and server-action calls
 * from other origins, which Next also refuses with a 500. Each gets the app's
 * JSON error shape and a 4xx, with nothing about the server in it.
 *
 * Two things never reach this far and are answered at the HTTP server instead
 * (lib/http/server-edge.ts): TRACE, which a fetch Request cannot hold, and the
 * router-state header, which Next strips from what the proxy sees.
 */
export async function refuseMalformedRequest(request: Request, appUrl: string | undefined): Promise<NextResponse | null> {
  const refusal = malformation(request, appUrl) ?? (await malformedActionBody(request));
  if (!refusal) return null;
  return NextResponse.json(toErrorBody(refusal), { status: refusal.status, headers: { "cache-control": "no-store" } });
}

function malformation(request: Request, appUrl: string | undefined): AppError | null {
  // Route params ([id], [...path]) are percent-decoded by Next, which throws on a bad escape.
  const { pathname } = new URL(request.url);
  if (!decodes(pathname)) return new AppError("bad_request", "The address is not valid.");

  // Server actions are POSTs to pages (fetch calls carry Next-Action; forms
  // without JavaScript are multipart posts). Route handlers under /api check
  // their own writes (lib/http/with-user.ts), and the webhook and reconcile
  // endpoints must accept server-to-server calls.
  if (!pathname.startsWith("/api/")) return crossOriginRefusal(request, appUrl);
  return null;
}

function decodes(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server-action call whose arguments React would fail to decode (Next then
 * answers 500). This app's actions take strings, plain objects and FormData,
 * so a reply is accepted only if it is JSON whose `$`-prefixed strings are the
 * few encodings those need, and whose references point at parts that exist;
 * promises, maps, streams, server references and the rest are refused.
 */
async function malformedActionBody(request: Request): Promise<AppError | null> {
  if (request.method !== "POST" || !request.headers.has("next-action")) return null;
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_ACTION_BODY_BYTES) return new AppError("payload_too_large", "The request body is too large.");
  const contentType = request.headers.get("content-type") ?? "";
  const bad = new AppError("bad_request", "The request body is not valid.");
  try {
    if (contentType.startsWith("multipart/form-data")) {
      const form = await request.clone().formData();
      const parts = new Set([...form.keys()]);
      const models = [...form.entries()].filter(([name]) => MODEL_PART.test(name));
      if (!parts.has("0")) return bad;
      return models.every(([, value]) => typeof value === "string" && isSafeReply(JSON.parse(value), parts)) ? null : bad;
    }
    return isSafeReply(JSON.parse(await request.clone().text()), new Set()) ? null : bad;
  } catch {
    return bad;
  }
}

const MAX_ACTION_BODY_BYTES = 1024 * 1024;
/** Outlined models are parts named by a hex id; FormData entries are `<id>_<name>`. */
const MODEL_PART = /^[0-9a-f]+$/;
const PLAIN_ENCODINGS = /^\$(?:\$.*|undefined|NaN|Infinity|-Infinity|-0|n-?\d+|D.*)$/s;

function isSafeReply(value: unknown, parts: Set<string>, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === "string") {
    if (!value.startsWith("$") || PLAIN_ENCODINGS.test(value)) return true;
    // $K<id>: a FormData whose entries are the `<id>_` parts; $<id>: an outlined model part.
    const reference = /^\$K?([0-9a-f]+)$/.exec(value);
    if (!reference) return false;
    return value.startsWith("$K") ? parts.size > 0 : parts.has(reference[1]);
  }
  if (Array.isArray(value)) return value.every((item) => isSafeReply(item, parts, depth + 1));
  if (value && typeof value === "object") return Object.values(value).every((item) => isSafeReply(item, parts, depth + 1));
  return true;
}
