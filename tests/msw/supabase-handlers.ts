import { createHash, randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from "jose";
import { http, HttpResponse, type HttpHandler } from "msw";
import { createRestHandlers, type Row, type TableName } from "@/tests/msw/supabase-rest";
import { createStorageHandlers, type StoredObject } from "@/tests/msw/supabase-storage";

/**
 * A Supabase project as msw handlers, answering with the shapes the real
 * services send (GoTrue with API version 2024-01-01, PostgREST, storage-api), so
 * the real supabase-js and @supabase/ssr run in tests. Every request is
 * recorded and must carry `apikey` and `authorization: Bearer`; REST and
 * Storage enforce the migration's row-level security from the JWT's `sub`.
 */

export const SUPABASE_URL = "https://sdxltest.supabase.co";
export const PUBLISHABLE_KEY = "sb_publishable_test_5fG7hJ9kL1mN3pQ5rS7tU9";
export const SERVICE_ROLE_KEY = "sb_secret_test_2aB4cD6eF8gH0iJ2kL4mN6";
/** The cookie @supabase/ssr keeps the session in: `sb-<first label of the host>-auth-token`. */
export const SESSION_COOKIE = "sb-sdxltest-auth-token";

export type Identity = { role: "anon" } | { role: "service_role" } | { role: "authenticated"; sub: string; email: string; sessionId: string };
export type SupabaseRoute =
  | "auth.signup" | "auth.token" | "auth.user" | "auth.logout" | "auth.otp" | "auth.verify" | "auth.jwks"
  | "rest" | "storage.upload" | "storage.remove" | "storage.sign";
export type Gate = {
  /** Records the request and applies an injected failure; null means "answer normally". */
  enter(route: SupabaseRoute, request: Request): Promise<Response | null>;
  /** Who is calling, from `apikey` and the bearer token; a Response when the keys are missing or bad. */
  identify(request: Request, service: "rest" | "storage" | "auth"): Promise<Identity | Response>;
};
export type RecordedRequest = {
  route: SupabaseRoute;
  method: string;
  path: string;
  search: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
};
export type Failure = "network" | { status: number; body?: unknown };
type User = { id: string; email: string; password: string; confirmedAt: string | null; createdAt: string };

const API_VERSION = { "x-supabase-api-version": "2024-01-01" };
const authFailure = (status: number, code: string, message: string) => HttpResponse.json({ code, message }, { status, headers: API_VERSION });

export async function createSupabaseApi(
  options: { url?: string; confirmEmails?: boolean; signing?: "HS256" | "ES256"; accessTokenTtl?: number } = {},
) {
  const url = options.url ?? SUPABASE_URL;
  const ttl = options.accessTokenTtl ?? 3600;
  const secret = new TextEncoder().encode("test-jwt-secret-with-at-least-32-characters!!");
  const pair = options.signing === "ES256" ? await generateKeyPair("ES256", { extractable: true }) : null;
  const jwks: JWK[] = pair ? [{ ...(await exportJWK(pair.publicKey)), kid: "test-es256", alg: "ES256", use: "sig" }] : [];
  const signingKey: Uint8Array | CryptoKey = pair?.privateKey ?? secret;

  const requests: RecordedRequest[] = [];
  const failures: Array<{ route: SupabaseRoute; failure: Failure }> = [];
  const users = new Map<string, User>();
  const refreshTokens = new Map<string, { userId: string; sessionId: string; revoked: boolean }>();
  /** Sign-out ends sessions; Auth (unlike PostgREST) checks the JWT's session_id against them. */
  const endedSessions = new Set<string>();
  const flows = new Map<string, { userId: string; challenge: string }>();
  const tokenHashes = new Map<string, string>();
  const mail: Array<{ to: string; type: "signup" | "magiclink"; tokenHash: string; authCode?: string; redirectTo: string | null }> = [];
  const tables: Record<TableName, Row[]> = { predictions: [], sdxl_images: [], webhook_inbox: [] };
  const objects = new Map<string, StoredObject>();

  const sign = (claims: Record<string, unknown>, expiresIn: number) =>
    new SignJWT(claims)
      .setProtectedHeader(pair ? { alg: "ES256", typ: "JWT", kid: "test-es256" } : { alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(signingKey);
  const verify = async (token: string) => {
    try {
      return (await jwtVerify(token, pair?.publicKey ?? secret)).payload as Record<string, unknown>;
    } catch (error) {
      return (error as { code?: string }).code === "ERR_JWT_EXPIRED" ? "expired" : null;
    }
  };

  const publicUser = (user: User) => ({
    id: user.id, aud: "authenticated", role: "authenticated", email: user.email, phone: "",
    email_confirmed_at: user.confirmedAt, confirmed_at: user.confirmedAt, last_sign_in_at: user.confirmedAt,
    app_metadata: { provider: "email", providers: ["email"] }, user_metadata: { email: user.email, sub: user.id },
    identities: [{ identity_id: user.id, id: user.id, user_id: user.id, provider: "email", email: user.email }],
    created_at: user.createdAt, updated_at: user.createdAt, is_anonymous: false,
  });

  async function session(user: User, sessionId: string = randomUUID()) {
    const refreshToken = randomBytes(12).toString("hex");
    refreshTokens.set(refreshToken, { userId: user.id, sessionId, revoked: false });
    const access = await sign(
      {
        iss: `${url}/auth/v1`, sub: user.id, aud: "authenticated", email: user.email, phone: "", role: "authenticated",
        app_metadata: { provider: "email", providers: ["email"] }, user_metadata: {}, aal: "aal1",
        amr: [{ method: "password", timestamp: Math.floor(Date.now() / 1000) }], session_id: sessionId, is_anonymous: false,
      },
      ttl,
    );
    return {
      access_token: access, token_type: "bearer", expires_in: ttl, expires_at: Math.floor(Date.now() / 1000) + ttl,
      refresh_token: refreshToken, user: publicUser(user),
    };
  }

  function addUser({ email, password = "correct horse battery", confirmed = true }: { email: string; password?: string; confirmed?: boolean }) {
    const now = new Date().toISOString();
    const user: User = { id: randomUUID(), email: email.toLowerCase(), password, confirmedAt: confirmed ? now : null, createdAt: now };
    users.set(user.id, user);
    return user;
  }
  const byEmail = (email: string) => [...users.values()].find((user) => user.email === email.toLowerCase());

  function sendMail(user: User, type: "signup" | "magiclink", request: Request, challenge?: string) {
    const tokenHash = randomBytes(16).toString("hex");
    tokenHashes.set(tokenHash, user.id);
    let authCode: string | undefined;
    if (challenge) {
      authCode = randomUUID();
      flows.set(authCode, { userId: user.id, challenge });
    }
    mail.push({ to: user.email, type, tokenHash, authCode, redirectTo: new URL(request.url).searchParams.get("redirect_to") });
  }

  const gate: Gate = {
    async enter(route, request) {
      await record(route, request);
      const index = failures.findIndex((entry) => entry.route === route);
      if (index === -1) return null;
      const [{ failure }] = failures.splice(index, 1);
      if (failure === "network") return HttpResponse.error();
      return HttpResponse.json((failure.body ?? { message: "injected failure" }) as object, { status: failure.status, headers: API_VERSION });
    },
    async identify(request, service) {
      const apikey = request.headers.get("apikey");
      const bearer = /^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      if (apikey !== PUBLISHABLE_KEY && apikey !== SERVICE_ROLE_KEY) {
        return HttpResponse.json({ message: "No API key found in request", hint: "No `apikey` request header or url param was found." }, { status: 401 });
      }
      if (bearer === SERVICE_ROLE_KEY && apikey === SERVICE_ROLE_KEY) return { role: "service_role" };
      if (bearer === apikey) return service === "auth" ? authFailure(401, "no_authorization", "This endpoint requires a valid Bearer token") : { role: "anon" };
      const claims = bearer ? await verify(bearer) : null;
      const user = claims && claims !== "expired" ? users.get(String(claims.sub)) : undefined;
      if (claims && claims !== "expired" && user) {
        if (service === "auth" && endedSessions.has(String(claims.session_id))) {
          return authFailure(403, "session_not_found", "Session from session_id claim in JWT does not exist");
        }
        return { role: "authenticated", sub: user.id, email: user.email, sessionId: String(claims.session_id) };
      }
      const expired = claims === "expired";
      if (service === "rest") return HttpResponse.json({ code: expired ? "PGRST303" : "PGRST301", details: null, hint: null, message: expired ? "JWT expired" : "No suitable key or wrong key type" }, { status: 401 });
      if (service === "storage") return HttpResponse.json({ statusCode: "403", error: "Unauthorized", message: expired ? "jwt expired" : "invalid signature" }, { status: 400 });
      return authFailure(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${expired ? "token is expired" : "signature is invalid"}`);
    },
  };

  async function record(route: SupabaseRoute, request: Request) {
    const target = new URL(request.url);
    let body: unknown = null;
    try {
      const bytes = new Uint8Array(await request.clone().arrayBuffer());
      const text = new TextDecoder().decode(bytes);
      body = bytes.byteLength === 0 ? null : (request.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : bytes;
    } catch {
      body = "<unreadable body>";
    }
    requests.push({
      route, method: request.method, path: target.pathname, search: target.search,
      query: Object.fromEntries(target.searchParams), headers: Object.fromEntries(request.headers), body,
    });
  }

  /** The auth routes that need no signed-in user still need the project's key. */
  async function open(route: SupabaseRoute, request: Request) {
    const failed = await gate.enter(route, request);
    if (failed) return failed;
    const identity = await gate.identify(request, "rest");
    return identity instanceof Response ? identity : null;
  }

  const auth = `${url}/auth/v1`;
  const handlers: HttpHandler[] = [
    http.post(`${auth}/signup`, async ({ request }) => {
      const rejected = await open("auth.signup", request);
      if (rejected) return rejected;
      const body = (await request.json()) as { email: string; password: string; code_challenge?: string | null };
      if (body.password.length < 6) {
        return HttpResponse.json({ code: "weak_password", message: "Password should be at least 6 characters.", weak_password: { reasons: ["length"] } }, { status: 422, headers: API_VERSION });
      }
      const existing = byEmail(body.email);
      // With confirmations on, GoTrue answers an existing address like a new one (no enumeration).
      if (existing && options.confirmEmails) return HttpResponse.json({ ...publicUser(existing), identities: [] });
      if (existing) return authFailure(422, "user_already_exists", "User already registered");
      const user = addUser({ email: body.email, password: body.password, confirmed: !options.confirmEmails });
      if (!options.confirmEmails) return HttpResponse.json(await session(user));
      sendMail(user, "signup", request, body.code_challenge ?? undefined);
      return HttpResponse.json({ ...publicUser(user), confirmation_sent_at: new Date().toISOString() });
    }),

    http.post(`${auth}/token`, async ({ request }) => {
      const rejected = await open("auth.token", request);
      if (rejected) return rejected;
      const grant = new URL(request.url).searchParams.get("grant_type");
      const body = (await request.json()) as Record<string, string>;
      if (grant === "password") {
        const user = byEmail(body.email ?? "");
        if (!user || user.password !== body.password) return authFailure(400, "invalid_credentials", "Invalid login credentials");
        if (!user.confirmedAt) return authFailure(400, "email_not_confirmed", "Email not confirmed");
        return HttpResponse.json(await session(user));
      }
      if (grant === "refresh_token") {
        const entry = refreshTokens.get(body.refresh_token);
        if (!entry || entry.revoked || endedSessions.has(entry.sessionId)) {
          return authFailure(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        }
        entry.revoked = true;
        return HttpResponse.json(await session(users.get(entry.userId)!, entry.sessionId));
      }
      if (grant === "pkce") {
        const flow = flows.get(body.auth_code);
        if (!flow) return authFailure(404, "flow_state_not_found", "invalid flow state, no valid flow state found");
        const challenge = createHash("sha256").update(body.code_verifier ?? "").digest("base64url");
        if (challenge !== flow.challenge) return authFailure(403, "bad_code_verifier", "code challenge does not match previously saved code verifier");
        flows.delete(body.auth_code);
        const user = users.get(flow.userId)!;
        user.confirmedAt ??= new Date().toISOString();
        return HttpResponse.json(await session(user));
      }
      return authFailure(400, "validation_failed", "unsupported_grant_type");
    }),

    http.get(`${auth}/user`, async ({ request }) => {
      const failed = await gate.enter("auth.user", request);
      if (failed) return failed;
      const identity = await gate.identify(request, "auth");
      if (identity instanceof Response) return identity;
      if (identity.role !== "authenticated") return authFailure(403, "bad_jwt", "invalid JWT");
      return HttpResponse.json(publicUser(users.get(identity.sub)!));
    }),

    http.post(`${auth}/logout`, async ({ request }) => {
      const failed = await gate.enter("auth.logout", request);
      if (failed) return failed;
      const identity = await gate.identify(request, "auth");
      if (identity instanceof Response) return identity;
      if (identity.role !== "authenticated") return authFailure(403, "bad_jwt", "invalid JWT");
      const scope = new URL(request.url).searchParams.get("scope") ?? "global";
      for (const entry of refreshTokens.values()) {
        if (entry.userId === identity.sub && (scope === "global" || entry.sessionId === identity.sessionId)) endedSessions.add(entry.sessionId);
      }
      return new HttpResponse(null, { status: 204 });
    }),

    http.post(`${auth}/otp`, async ({ request }) => {
      const rejected = await open("auth.otp", request);
      if (rejected) return rejected;
      const body = (await request.json()) as { email: string; create_user?: boolean; code_challenge?: string | null };
      const user = byEmail(body.email) ?? (body.create_user ? addUser({ email: body.email, confirmed: false }) : undefined);
      if (!user) return authFailure(422, "otp_disabled", "Signups not allowed for otp");
      sendMail(user, "magiclink", request, body.code_challenge ?? undefined);
      return HttpResponse.json({});
    }),

    http.post(`${auth}/verify`, async ({ request }) => {
      const rejected = await open("auth.verify", request);
      if (rejected) return rejected;
      const body = (await request.json()) as { token_hash?: string; type?: string };
      const userId = body.token_hash ? tokenHashes.get(body.token_hash) : undefined;
      if (!userId) return authFailure(403, "otp_expired", "Email link is invalid or has expired");
      tokenHashes.delete(body.token_hash!);
      const user = users.get(userId)!;
      user.confirmedAt ??= new Date().toISOString();
      return HttpResponse.json(await session(user));
    }),

    http.get(`${auth}/.well-known/jwks.json`, async ({ request }) => (await gate.enter("auth.jwks", request)) ?? HttpResponse.json({ keys: jwks })),

    ...createRestHandlers({ url, gate, tables, userExists: (id) => users.has(id) }),
    ...createStorageHandlers({
      url, gate, objects, signToken: sign,
      verifyToken: async (token) => {
        const claims = await verify(token);
        return typeof claims === "object" ? claims : null;
      },
    }),
  ];

  return {
    url, handlers, requests, users, tables, objects, mail,
    addUser,
    /** The next `times` requests to `route` fail this way. */
    failNext(route: SupabaseRoute, failure: Failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ route, failure });
    },
    requestsTo(route: SupabaseRoute) {
      return requests.filter((request) => request.route === route);
    },
    clearRequests() {
      requests.length = 0;
    },
  };
}

export type SupabaseApi = Awaited<ReturnType<typeof createSupabaseApi>>;
