import { createHash, randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from "jose";
import { http, HttpResponse, type HttpHandler } from "msw";
import { createRestHandlers, type Row, type TableName } from "@/tests/msw/supabase-rest";
import { createStorageHandlers, type StoredObject } from "@/tests/msw/supabase-storage";
import { callReservationFunction, type Reservations } from "@/tests/msw/supabase-limits-and-deletions"; // [20261203 emulator]

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
  | "auth.recover" | "auth.user.update" | "auth.admin.delete" | "rest.rpc"
  | "rest" | "storage.upload" | "storage.remove" | "storage.sign" | "storage.download";
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

/**
 * What a project does beyond the defaults of these tests, each as Supabase Auth really behaves
 * (supabase/auth at bc32168, noted beside each piece below):
 * - `smtp: "default"`: a fresh hosted project without custom SMTP emails only
 *   its organisation's members (`teamEmails`) and about 2 emails an hour.
 * - `rateLimits`: Auth's per-IP token buckets (internal/api/apilimiter).
 * - `forwardedFor`: GOTRUE_SECURITY_SB_FORWARDED_FOR_ENABLED, so `Sb-Forwarded-For` is the caller's IP.
 */
export type ProjectOptions = {
  url?: string;
  confirmEmails?: boolean;
  signing?: "HS256" | "ES256";
  accessTokenTtl?: number;
  smtp?: "default" | "custom";
  teamEmails?: string[];
  rateLimits?: boolean;
  forwardedFor?: boolean;
};

/** Where every server-side call comes from when Auth cannot tell clients apart: the app server's own address. */
export const SERVER_ADDRESS = "198.51.100.1";

/**
 * Auth's per-IP buckets with their default sizes (internal/conf/configuration.go,
 * internal/api/apilimiter/apilimiter.go): `/token` (password, refresh and PKCE
 * together) 150 per 5 minutes, burst 30; `/signup`, `/recover`, `/otp`,
 * `/magiclink`, `PUT /user` each 30 per 5 minutes (RateLimitOtp), burst 30;
 * `/verify` 30 per 5 minutes, burst 30.
 */
export const AUTH_RATE_LIMITS = {
  token: { perFiveMinutes: 150, burst: 30 },
  signup: { perFiveMinutes: 30, burst: 30 },
  recover: { perFiveMinutes: 30, burst: 30 },
  otp: { perFiveMinutes: 30, burst: 30 },
  user: { perFiveMinutes: 30, burst: 30 },
  verify: { perFiveMinutes: 30, burst: 30 },
} as const;

/**
 * Auth's error bodies (API version 2024-01-01: `{ code, message }`, internal/api/errors.go
 * HTTPErrorResponse20240101), with the status and text of the handler that sends each.
 */
export const AUTH_ERRORS = {
  // internal/api/middleware.go performRateLimiting
  over_request_rate_limit: { status: 429, message: "Request rate limit reached" },
  // internal/api/mail.go, EmailRateLimitExceeded
  over_email_send_rate_limit: { status: 429, message: "email rate limit exceeded" },
  // internal/api/mail.go sendEmail; %q of the address
  email_address_not_authorized: { status: 400, message: 'Email address "%s" cannot be used as it is not authorized' },
  // internal/api/password.go checkPasswordStrength, MaxPasswordLength = 72 (bytes: Go's len)
  validation_failed: { status: 400, message: "Password cannot be longer than 72 characters" },
  // internal/api/password.go, WeakPasswordError with reasons
  weak_password: { status: 422, message: "Password should be at least 6 characters." },
  // internal/api/otp.go
  otp_disabled: { status: 422, message: "Signups not allowed for otp" },
  // internal/api/middleware.go verifyCaptcha
  captcha_failed: { status: 400, message: "captcha protection: request disallowed (no captcha_token found)" },
  // internal/api/auth.go
  user_banned: { status: 403, message: "User is banned" },
  // internal/api/anonymous.go, external.go
  signup_disabled: { status: 422, message: "Signups not allowed for this instance" },
  // internal/api/magic_link.go, middleware.go requireEmailProvider
  email_provider_disabled: { status: 422, message: "Email logins are disabled" },
  // internal/api/user.go UserUpdate
  same_password: { status: 422, message: "New password should be different from the old password." },
  reauthentication_needed: { status: 400, message: "Password update requires reauthentication" },
  // internal/api/verify.go
  otp_expired: { status: 403, message: "Email link is invalid or has expired" },
  invalid_credentials: { status: 400, message: "Invalid login credentials" },
  email_not_confirmed: { status: 400, message: "Email not confirmed" },
  user_already_exists: { status: 422, message: "User already registered" },
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERRORS;

/** An injected failure with Auth's real body for `code`. */
export function authErrorFailure(code: AuthErrorCode): Failure {
  const { status, message } = AUTH_ERRORS[code];
  return { status, body: { code, message: message.replace("%s", "someone@example.com") } };
}

export async function createSupabaseApi(options: ProjectOptions = {}) {
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
  const mail: Array<{ to: string; type: "signup" | "magiclink" | "recovery"; tokenHash: string; authCode?: string; redirectTo: string | null }> = [];
  const tables: Record<TableName, Row[]> = { predictions: [], sdxl_images: [], input_images: [], prediction_inputs: [], webhook_inbox: [] };
  /** public.auth_attempts and auth_known_addresses (supabase/migrations/20261202300000_auth_throttle.sql). */
  const attempts = new Map<number, { key: string; at: number }>();
  const knownAddresses = new Map<string, number>();
  let attemptId = 1;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const emailsSent: number[] = [];
  const team = new Set((options.teamEmails ?? []).map((email) => email.toLowerCase()));
  const objects = new Map<string, StoredObject>();
  const reservations: Reservations = new Map(); // [20261203 emulator]

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

  /** The caller's IP as Auth sees it (internal/utilities/request.go, internal/sbff). */
  function callerAddress(request: Request): string {
    const forwarded = request.headers.get("sb-forwarded-for")?.split(",")[0]?.trim();
    return options.forwardedFor && forwarded && /^[0-9a-f.:]+$/i.test(forwarded) ? forwarded : SERVER_ADDRESS;
  }

  /** A token bucket per IP, as tollbooth keeps them; a 429 with Auth's body when empty. */
  function rateLimited(bucket: keyof typeof AUTH_RATE_LIMITS, request: Request): Response | null {
    if (!options.rateLimits) return null;
    const { perFiveMinutes, burst } = AUTH_RATE_LIMITS[bucket];
    const key = `${bucket} ${callerAddress(request)}`;
    const now = Date.now();
    const state = buckets.get(key) ?? { tokens: burst, at: now };
    state.tokens = Math.min(burst, state.tokens + ((now - state.at) / 1000) * (perFiveMinutes / 300));
    state.at = now;
    buckets.set(key, state);
    if (state.tokens < 1) return authFailure(429, "over_request_rate_limit", AUTH_ERRORS.over_request_rate_limit.message);
    state.tokens -= 1;
    return null;
  }

  /** Before any email: the default SMTP's allow-list and hourly budget (internal/api/mail.go). */
  function refuseEmail(to: string): Response | null {
    if (options.smtp !== "default") return null;
    if (!team.has(to.toLowerCase())) {
      return authFailure(400, "email_address_not_authorized", AUTH_ERRORS.email_address_not_authorized.message.replace("%s", to));
    }
    const hourAgo = Date.now() - 3600_000;
    if (emailsSent.filter((at) => at > hourAgo).length >= 2) {
      return authFailure(429, "over_email_send_rate_limit", AUTH_ERRORS.over_email_send_rate_limit.message);
    }
    emailsSent.push(Date.now());
    return null;
  }

  const tooLong = (password: string) =>
    new TextEncoder().encode(password).byteLength > 72 ? authFailure(400, "validation_failed", AUTH_ERRORS.validation_failed.message) : null;

  function sendMail(user: User, type: "signup" | "magiclink" | "recovery", request: Request, challenge?: string) {
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
      const limited = rateLimited("signup", request);
      if (limited) return limited;
      const body = (await request.json()) as { email: string; password: string; code_challenge?: string | null };
      const long = tooLong(body.password);
      if (long) return long;
      if (body.password.length < 6) {
        return HttpResponse.json({ code: "weak_password", message: "Password should be at least 6 characters.", weak_password: { reasons: ["length"] } }, { status: 422, headers: API_VERSION });
      }
      const existing = byEmail(body.email);
      // With confirmations on, GoTrue answers an existing address like a new one (no enumeration).
      if (existing && options.confirmEmails) return HttpResponse.json({ ...publicUser(existing), identities: [] });
      if (existing) return authFailure(422, "user_already_exists", "User already registered");
      if (options.confirmEmails) {
        const refused = refuseEmail(body.email);
        if (refused) return refused;
      }
      const user = addUser({ email: body.email, password: body.password, confirmed: !options.confirmEmails });
      if (!options.confirmEmails) return HttpResponse.json(await session(user));
      sendMail(user, "signup", request, body.code_challenge ?? undefined);
      return HttpResponse.json({ ...publicUser(user), confirmation_sent_at: new Date().toISOString() });
    }),

    http.post(`${auth}/token`, async ({ request }) => {
      const rejected = await open("auth.token", request);
      if (rejected) return rejected;
      const limited = rateLimited("token", request);
      if (limited) return limited;
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
        if (entry.userId !== identity.sub) continue;
        const mine = entry.sessionId === identity.sessionId;
        // internal/api/logout.go: global ends all, local this one, others all but this one.
        if (scope === "global" || (scope === "local" && mine) || (scope === "others" && !mine)) endedSessions.add(entry.sessionId);
      }
      return new HttpResponse(null, { status: 204 });
    }),

    http.post(`${auth}/otp`, async ({ request }) => {
      const rejected = await open("auth.otp", request);
      if (rejected) return rejected;
      const limited = rateLimited("otp", request);
      if (limited) return limited;
      const body = (await request.json()) as { email: string; create_user?: boolean; code_challenge?: string | null };
      if (!byEmail(body.email) && !body.create_user) return authFailure(422, "otp_disabled", "Signups not allowed for otp");
      const refused = refuseEmail(body.email);
      if (refused) return refused;
      const user = byEmail(body.email) ?? addUser({ email: body.email, confirmed: false });
      sendMail(user, "magiclink", request, body.code_challenge ?? undefined);
      return HttpResponse.json({});
    }),

    http.post(`${auth}/verify`, async ({ request }) => {
      const rejected = await open("auth.verify", request);
      if (rejected) return rejected;
      const limited = rateLimited("verify", request);
      if (limited) return limited;
      const body = (await request.json()) as { token_hash?: string; type?: string };
      const userId = body.token_hash ? tokenHashes.get(body.token_hash) : undefined;
      if (!userId) return authFailure(403, "otp_expired", "Email link is invalid or has expired");
      tokenHashes.delete(body.token_hash!);
      const user = users.get(userId)!;
      user.confirmedAt ??= new Date().toISOString();
      return HttpResponse.json(await session(user));
    }),

    // internal/api/recover.go: the same empty answer whether or not the email has an account.
    http.post(`${auth}/recover`, async ({ request }) => {
      const rejected = await open("auth.recover", request);
      if (rejected) return rejected;
      const limited = rateLimited("recover", request);
      if (limited) return limited;
      const body = (await request.json()) as { email: string; code_challenge?: string | null };
      const user = byEmail(body.email);
      if (!user) return HttpResponse.json({});
      const refused = refuseEmail(body.email);
      if (refused) return refused;
      sendMail(user, "recovery", request, body.code_challenge ?? undefined);
      return HttpResponse.json({});
    }),

    // internal/api/user.go UserUpdate: a new password ends the user's other sessions.
    http.put(`${auth}/user`, async ({ request }) => {
      const failed = await gate.enter("auth.user.update", request);
      if (failed) return failed;
      const identity = await gate.identify(request, "auth");
      if (identity instanceof Response) return identity;
      if (identity.role !== "authenticated") return authFailure(403, "bad_jwt", "invalid JWT");
      const limited = rateLimited("user", request);
      if (limited) return limited;
      const body = (await request.json()) as { password?: string };
      const user = users.get(identity.sub)!;
      if (body.password !== undefined) {
        const long = tooLong(body.password);
        if (long) return long;
        if (body.password.length < 6) {
          return HttpResponse.json({ code: "weak_password", message: AUTH_ERRORS.weak_password.message, weak_password: { reasons: ["length"] } }, { status: 422, headers: API_VERSION });
        }
        if (body.password === user.password) return authFailure(422, "same_password", AUTH_ERRORS.same_password.message);
        user.password = body.password;
        for (const entry of refreshTokens.values()) if (entry.userId === user.id && entry.sessionId !== identity.sessionId) endedSessions.add(entry.sessionId);
      }
      return HttpResponse.json(publicUser(user));
    }),

    // internal/api/admin.go adminUserDelete: service role only; the user's rows go by their foreign keys.
    http.delete(`${auth}/admin/users/:id`, async ({ request, params }) => {
      const failed = await gate.enter("auth.admin.delete", request);
      if (failed) return failed;
      const identity = await gate.identify(request, "rest");
      if (identity instanceof Response) return identity;
      if (identity.role !== "service_role") return authFailure(403, "not_admin", "User not allowed");
      const id = String(params.id);
      if (!users.has(id)) return authFailure(404, "user_not_found", "User not found");
      users.delete(id);
      for (const entry of refreshTokens.values()) if (entry.userId === id) endedSessions.add(entry.sessionId);
      for (const table of Object.values(tables)) {
        for (let i = table.length - 1; i >= 0; i--) if (table[i].user_id === id) table.splice(i, 1);
      }
      return HttpResponse.json({});
    }),

    http.get(`${auth}/.well-known/jwks.json`, async ({ request }) => (await gate.enter("auth.jwks", request)) ?? HttpResponse.json({ keys: jwks })),

    // The throttle's functions (supabase/migrations/20261202300000_auth_throttle.sql), granted to the service role only.
    http.post(`${url}/rest/v1/rpc/:fn`, async ({ request, params }) => {
      const failed = await gate.enter("rest.rpc", request);
      if (failed) return failed;
      const identity = await gate.identify(request, "rest");
      if (identity instanceof Response) return identity;
      const fn = String(params.fn);
      // [20261203 emulator]
      const reserved = callReservationFunction({ fn, identity, args: (await request.clone().json()) as Record<string, unknown>, predictions: tables.predictions, reservations });
      if (reserved) return reserved;
      if (identity.role !== "service_role") {
        return HttpResponse.json({ code: "42501", details: null, hint: null, message: `permission denied for function ${fn}` }, { status: identity.role === "anon" ? 401 : 403 });
      }
      const args = (await request.json()) as Record<string, never>;
      const ms = (value: string) => Date.parse(value);
      if (fn === "auth_throttle_record") {
        const keys = args.p_keys as string[];
        for (const [id, entry] of attempts) if (entry.at < ms(args.p_forget_before)) attempts.delete(id);
        const recent: Record<string, number[]> = {};
        for (const key of keys) {
          recent[key] = [...attempts.values()].filter((entry) => entry.key === key && entry.at >= ms(args.p_since)).map((entry) => entry.at).sort((a, b) => b - a).slice(0, args.p_limit);
        }
        const ids = keys.map((key) => {
          attempts.set(attemptId, { key, at: ms(args.p_at) });
          return attemptId++;
        });
        const seen = args.p_email && args.p_address ? knownAddresses.get(`${args.p_email} ${args.p_address}`) : undefined;
        return HttpResponse.json({ ids, recent, known: seen !== undefined && seen >= ms(args.p_known_since) });
      }
      if (fn === "auth_throttle_forget") {
        for (const id of args.p_ids as number[]) attempts.delete(id);
        return new HttpResponse(null, { status: 204 });
      }
      if (fn === "auth_throttle_succeeded") {
        for (const [id, entry] of attempts) if (entry.key === args.p_clear_key || (args.p_ids as number[]).includes(id)) attempts.delete(id);
        if (args.p_address) knownAddresses.set(`${args.p_email} ${args.p_address}`, ms(args.p_at));
        return new HttpResponse(null, { status: 204 });
      }
      return HttpResponse.json({ code: "PGRST202", details: null, hint: null, message: `Could not find the function public.${fn}` }, { status: 404 });
    }),

    // Storage's bucket list and folder listing, for account deletion (storage-api: GET /bucket, POST /object/list/:bucket).
    http.get(`${url}/storage/v1/bucket`, async ({ request }) => {
      const identity = await gate.identify(request, "storage");
      if (identity instanceof Response) return identity;
      return HttpResponse.json([{ id: "sdxl-images", name: "sdxl-images", public: false }]);
    }),
    http.post(`${url}/storage/v1/object/list/:bucket`, async ({ request }) => {
      const identity = await gate.identify(request, "storage");
      if (identity instanceof Response) return identity;
      const { prefix, limit } = (await request.json()) as { prefix: string; limit: number };
      const folder = prefix.replace(/\/$/, "");
      const visible = (name: string) => identity.role === "service_role" || (identity.role === "authenticated" && name.split("/")[0] === identity.sub);
      const entries = [...objects.entries()]
        .filter(([name]) => name.startsWith(`${folder}/`) && visible(name))
        .map(([name, object]) => {
          const rest = name.slice(folder.length + 1);
          return rest.includes("/") ? { name: rest.split("/")[0], id: null } : { name: rest, id: object.id, metadata: { size: object.bytes.byteLength } };
        });
      const unique = [...new Map(entries.map((entry) => [entry.name, entry])).values()].slice(0, limit);
      return HttpResponse.json(unique);
    }),

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
    url, handlers, requests, users, tables, objects, mail, attempts,
    reservations, // [20261203 emulator]
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
