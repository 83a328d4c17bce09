import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { jwtVerify, SignJWT } from "jose";
import type { SessionUser } from "@/lib/predictions/ports";

/**
 * Local sessions are JWTs with Supabase's claim shape (sub, email, role, aud), so
 * the same claims can be handed to Postgres as `request.jwt.claims` and the
 * migrations' policies read them through auth.uid(). Each also carries a
 * session id (`session_id`, as Supabase's access tokens do) and the user's
 * session generation (`gen`), so a session can be ended before it expires
 * (lib/local/session-revocation.ts).
 */
export const SESSION_TTL_SECONDS = 60 * 60 * 24 * 7;
const ISSUER = "sdxl-studio-local";
const AUDIENCE = "authenticated";

/**
 * The signing key: LOCAL_AUTH_SECRET when set, else a random key created once
 * and kept beside the database, so `npm run local` needs no configuration and
 * sessions survive restarts (and die with the data folder, as they should).
 */
export async function loadSigningKey(dataDir: string, configured?: string): Promise<Uint8Array> {
  if (configured) return new TextEncoder().encode(configured);
  const file = path.join(dataDir, "auth-secret");
  try {
    return Buffer.from((await readFile(file, "utf8")).trim(), "base64");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("base64");
  // "wx": if another process created it first, keep theirs.
  await writeFile(file, secret, { mode: 0o600, flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return Buffer.from((await readFile(file, "utf8")).trim(), "base64");
}

/** A verified session: who, which session, and until when. */
export type SessionClaims = { user: SessionUser; sessionId: string; generation: number; expiresAt: number };

export async function signSessionToken(
  user: SessionUser,
  key: Uint8Array,
  session: { sessionId?: string; generation?: number } = {},
): Promise<string> {
  return new SignJWT({
    email: user.email,
    role: "authenticated",
    session_id: session.sessionId ?? randomUUID(),
    gen: session.generation ?? 0,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${SESSION_TTL_SECONDS}s`)
    .sign(key);
}

/**
 * The key imported once for verifying: given raw bytes, jose imports them
 * again on every call, which doubles the cost of each request's session check.
 */
export function importVerifyKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new Uint8Array(key), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
}

/**
 * The token's claims if its signature, issuer, audience and expiry hold, else
 * null. A token without a session id (issued before sessions could be ended)
 * is refused: it could not be signed out, so it signs in no one.
 */
export async function verifySessionToken(token: string, key: Uint8Array | CryptoKey): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] });
    const { sub, email, role, session_id: sessionId, gen, exp } = payload;
    if (typeof sub !== "string" || typeof email !== "string" || role !== "authenticated") return null;
    if (typeof sessionId !== "string" || !UUID.test(sessionId) || !Number.isSafeInteger(gen) || typeof exp !== "number") return null;
    return { user: { id: sub, email }, sessionId, generation: gen as number, expiresAt: exp * 1000 };
  } catch {
    return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
