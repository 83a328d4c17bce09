import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { signSessionToken, verifySessionToken } from "@/lib/local/session-token";

/**
 * A local session token is believed only when every claim the app relies on
 * holds: its signature with this app's key, its issuer and audience, its
 * expiry, the role Postgres is asked to assume, and a session id that sign-out
 * can revoke. Each case below changes one of them in a token signed with the
 * right key, as someone holding a leaked key for another purpose, or editing
 * their own token, could.
 */

const key = new TextEncoder().encode("a-test-signing-key-of-32-bytes!!");
const user = { id: randomUUID(), email: "ada@example.com" };

function token(claims: Record<string, unknown>, { issuer = "sdxl-studio-local", audience = "authenticated", expires = "1h" as string | number } = {}) {
  const base = { email: user.email, role: "authenticated", session_id: randomUUID(), gen: 0 };
  return new SignJWT({ ...base, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(key);
}

describe("verifySessionToken", () => {
  it("accepts a token the app signed, with who, which session and until when", async () => {
    const sessionId = randomUUID();
    const claims = await verifySessionToken(await signSessionToken(user, key, { sessionId, generation: 3 }), key);
    expect(claims).toMatchObject({ user, sessionId, generation: 3 });
    expect(claims!.expiresAt).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);
  });

  it.each([
    ["another audience (a token minted for something else)", () => token({}, { audience: "service" })],
    ["another issuer", () => token({}, { issuer: "someone-else" })],
    ["an expired token", () => token({}, { expires: Math.floor(Date.now() / 1000) - 60 })],
    ["the service role claimed", () => token({ role: "service_role" })],
    ["no session id (it could not be signed out)", () => token({ session_id: undefined })],
    ["a session id that is not a uuid", () => token({ session_id: "1" })],
    ["a generation that is not a whole number", () => token({ gen: "0" })],
  ])("refuses %s", async (_label, make) => {
    expect(await verifySessionToken(await make(), key)).toBeNull();
  });

  it("refuses a token signed with another key, and an unsigned one", async () => {
    const other = await signSessionToken(user, new TextEncoder().encode("another-key-entirely-32-bytes!!!"));
    expect(await verifySessionToken(other, key)).toBeNull();
    const [header, payload] = (await signSessionToken(user, key)).split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
    expect(await verifySessionToken(none, key)).toBeNull();
    expect(await verifySessionToken(`${header}.${payload}.`, key)).toBeNull();
  });
});
