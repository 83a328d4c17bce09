import { z } from "zod";
import { DEFAULT_SDXL_VERSION, formatModelRef, parseModelRef, SDXL_MODEL, type ModelRef } from "@/lib/models/model-ref";

/**
 * The one place environment variables are read. Everything is validated once;
 * the image model and the backend are each chosen here, independently:
 * - model:   Replicate when REPLICATE_API_TOKEN is set, else the local preview model;
 * - backend: Supabase when its URL and key are set, else the embedded one (PGlite + disk).
 * A half-set group is a start-up error naming what is missing, never a silent fallback.
 */

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const serverSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  APP_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  DATA_DIR: optionalText.transform((value) => value ?? ".data"),
  LOCAL_AUTH_SECRET: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  LOCAL_MODEL_DURATION_MS: z.coerce.number().int().min(0).max(600_000).default(4000),

  REPLICATE_API_TOKEN: optionalText,
  REPLICATE_MODEL_VERSION: optionalText.pipe(
    z.string().regex(/^[a-f0-9]{64}$/, "must be a 64-character version id").optional(),
  ),
  // Model references are parsed by lib/models/model-ref.ts, which says what to write.
  REPLICATE_MODEL: optionalText,
  REPLICATE_MODELS: optionalText,
  REPLICATE_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  REPLICATE_WEBHOOK_SIGNING_SECRET: optionalText,
  // The secret being rotated out: deliveries signed with either are accepted while both are set.
  REPLICATE_WEBHOOK_SIGNING_SECRET_PREVIOUS: optionalText,
  // Where Replicate should send webhooks when that is not APP_URL (a tunnel, a test stand-in); used as given.
  REPLICATE_WEBHOOK_BASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  // Predictions still running this long after they were created are canceled at the model (reconcile).
  PREDICTION_DEADLINE_MINUTES: z.coerce.number().int().min(1).max(30).default(15),

  NEXT_PUBLIC_SUPABASE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY: optionalText,
  NEXT_PUBLIC_SUPABASE_ANON_KEY: optionalText,
  SUPABASE_SERVICE_ROLE_KEY: optionalText,

  MAX_OUTPUT_BYTES: positiveInt(20 * 1024 * 1024),
  // Input images people upload: bytes, and pixels (width × height) so a small
  // file that decodes to a huge bitmap is refused before any model sees it.
  MAX_INPUT_BYTES: positiveInt(20 * 1024 * 1024),
  MAX_INPUT_PIXELS: positiveInt(4096 * 4096),
  RATE_LIMIT_CREATES_PER_MINUTE: positiveInt(10),
  RATE_LIMIT_CONCURRENT: positiveInt(2),

  // Proxies whose X-Forwarded-For is believed (see lib/auth/client-address.ts):
  // "none", "vercel", or a comma-separated list of IP addresses and CIDR ranges.
  TRUSTED_PROXIES: optionalText.pipe(
    z
      .string()
      .refine(
        (value) => ["none", "vercel"].includes(value) || value.split(",").every((entry) => isAddressOrRange(entry.trim())),
        'must be "none", "vercel", or IP addresses / CIDR ranges separated by commas',
      )
      .optional(),
  ),
  // Set to "1" by Vercel itself on its deployments.
  VERCEL: optionalText,

  // Bearer token for POST /api/internal/reconcile (`npm run reconcile`, a cron job); unset: no such endpoint.
  RECONCILE_SECRET: optionalText.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  // Vercel Cron sends it as `Authorization: Bearer <CRON_SECRET>` on GET /api/internal/reconcile.
  CRON_SECRET: optionalText.pipe(z.string().min(16, "must be at least 16 characters").optional()),
});

type RawServerEnv = z.output<typeof serverSchema>;

export type ModelConfig =
  | { kind: "local"; durationMs: number; dataDir: string }
  | {
      kind: "replicate";
      apiToken: string;
      /** The models people can pick from, the default first; never empty. */
      models: ModelRef[];
      baseUrl?: string;
      webhookSigningSecret?: string;
      /** Also accepted while a secret is rotated. */
      previousWebhookSigningSecret?: string;
      /** The base of the webhook URL Replicate calls, when it is not APP_URL; used as given. */
      webhookBaseUrl?: string;
    };

export type BackendConfig =
  | { kind: "local"; dataDir: string; authSecret?: string }
  | { kind: "supabase"; url: string; publishableKey: string; serviceRoleKey?: string };

/**
 * Where a request's client address comes from: the socket, Vercel's edge
 * headers, or X-Forwarded-For as far back as the listed proxies vouch for it.
 */
export type TrustedProxies = { kind: "socket" } | { kind: "vercel" } | { kind: "list"; entries: string[] };

export type ServerEnv = {
  nodeEnv: RawServerEnv["NODE_ENV"];
  appUrl?: string;
  trustedProxies: TrustedProxies;
  model: ModelConfig;
  backend: BackendConfig;
  limits: { maxOutputBytes: number; createsPerMinute: number; concurrent: number };
  inputs: { maxBytes: number; maxPixels: number };
  /** Predictions running longer than this are canceled at the model by reconcile. */
  predictionDeadlineMs: number;
  reconcileSecret?: string;
  cronSecret?: string;
};

export class EnvError extends Error {
  constructor(problems: string[]) {
    super(`Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}\nSee .env.example.`);
    this.name = "EnvError";
  }
}

export function parseServerEnv(source: Record<string, string | undefined>): ServerEnv {
  const parsed = serverSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];
  const model = chooseModel(env, problems);
  const backend = chooseBackend(env, problems);
  if (problems.length > 0) throw new EnvError(problems);
  return {
    nodeEnv: env.NODE_ENV,
    appUrl: env.APP_URL,
    trustedProxies: chooseTrustedProxies(env),
    model: model!,
    backend: backend!,
    limits: {
      maxOutputBytes: env.MAX_OUTPUT_BYTES,
      createsPerMinute: env.RATE_LIMIT_CREATES_PER_MINUTE,
      concurrent: env.RATE_LIMIT_CONCURRENT,
    },
    inputs: { maxBytes: env.MAX_INPUT_BYTES, maxPixels: env.MAX_INPUT_PIXELS },
    predictionDeadlineMs: env.PREDICTION_DEADLINE_MINUTES * 60_000,
    reconcileSecret: env.RECONCILE_SECRET,
    cronSecret: env.CRON_SECRET,
  };
}

function chooseTrustedProxies(env: RawServerEnv): TrustedProxies {
  const setting = env.TRUSTED_PROXIES ?? (env.VERCEL === "1" ? "vercel" : "none");
  if (setting === "none") return { kind: "socket" };
  if (setting === "vercel") return { kind: "vercel" };
  return { kind: "list", entries: setting.split(",").map((entry) => entry.trim()) };
}

const addressOrRange = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
function isAddressOrRange(value: string): boolean {
  return addressOrRange.safeParse(value).success;
}

function chooseModel(env: RawServerEnv, problems: string[]): ModelConfig | undefined {
  const replicateOnly = [
    "REPLICATE_MODEL_VERSION",
    "REPLICATE_MODEL",
    "REPLICATE_MODELS",
    "REPLICATE_BASE_URL",
    "REPLICATE_WEBHOOK_SIGNING_SECRET",
    "REPLICATE_WEBHOOK_SIGNING_SECRET_PREVIOUS",
    "REPLICATE_WEBHOOK_BASE_URL",
  ] as const;
  if (!env.REPLICATE_API_TOKEN) {
    const stray = replicateOnly.filter((name) => env[name] !== undefined);
    if (stray.length > 0) {
      problems.push(`REPLICATE_API_TOKEN is missing, but ${stray.join(", ")} ${stray.length > 1 ? "are" : "is"} set`);
      return undefined;
    }
    return { kind: "local", durationMs: env.LOCAL_MODEL_DURATION_MS, dataDir: env.DATA_DIR };
  }
  const models = chooseReplicateModels(env, problems);
  if (!models) return undefined;
  return {
    kind: "replicate",
    apiToken: env.REPLICATE_API_TOKEN,
    models,
    baseUrl: env.REPLICATE_BASE_URL,
    webhookSigningSecret: env.REPLICATE_WEBHOOK_SIGNING_SECRET,
    previousWebhookSigningSecret: env.REPLICATE_WEBHOOK_SIGNING_SECRET_PREVIOUS,
    webhookBaseUrl: env.REPLICATE_WEBHOOK_BASE_URL,
  };
}

/**
 * REPLICATE_MODELS (a list), REPLICATE_MODEL (one reference) or, as the
 * original setup had it, REPLICATE_MODEL_VERSION (a bare version id, alone or
 * pinning REPLICATE_MODEL=owner/name). With none, SDXL at the version the
 * original setup pinned.
 */
function chooseReplicateModels(env: RawServerEnv, problems: string[]): ModelRef[] | undefined {
  const { REPLICATE_MODELS: list, REPLICATE_MODEL: single, REPLICATE_MODEL_VERSION: version } = env;
  if (list && (single || version)) {
    problems.push("set REPLICATE_MODELS or REPLICATE_MODEL / REPLICATE_MODEL_VERSION, not both");
    return undefined;
  }
  const texts = list ? list.split(",").map((part) => part.trim()).filter(Boolean) : single ? [single] : [];
  const refs: ModelRef[] = [];
  for (const text of texts) {
    const parsed = parseModelRef(text);
    if (!parsed.ok) problems.push(`${list ? "REPLICATE_MODELS" : "REPLICATE_MODEL"}: ${parsed.message}`);
    else refs.push(parsed.ref);
  }
  if (list && texts.length === 0) problems.push("REPLICATE_MODELS: name at least one model");
  if (problems.length > 0) return undefined;

  if (version) {
    const only = refs[0];
    if (!only) {
      if (version === DEFAULT_SDXL_VERSION) return [{ kind: "version", owner: "stability-ai", name: "sdxl", version }];
      problems.push(
        `REPLICATE_MODEL_VERSION: a version's schema can only be read with its model's name; write REPLICATE_MODEL=owner/name:${version} (or set REPLICATE_MODEL=owner/name beside it)`,
      );
      return undefined;
    }
    if (only.kind !== "model") {
      problems.push(`REPLICATE_MODEL_VERSION can only pin an owner/name reference, not ${formatModelRef(only)}`);
      return undefined;
    }
    return [{ kind: "version", owner: only.owner, name: only.name, version }];
  }
  const unique = new Map(refs.map((ref) => [formatModelRef(ref), ref]));
  if (unique.size < refs.length) problems.push("REPLICATE_MODELS names the same model twice");
  if (refs.length === 0) {
    const [owner, name] = SDXL_MODEL.split("/");
    return [{ kind: "version", owner, name, version: DEFAULT_SDXL_VERSION }];
  }
  return problems.length > 0 ? undefined : refs;
}

function chooseBackend(env: RawServerEnv, problems: string[]): BackendConfig | undefined {
  const publishableKey = env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY ?? env.NEXT_PUBLIC_SUPABASE_ANON_KEY;
  const anySupabase = env.NEXT_PUBLIC_SUPABASE_URL || publishableKey || env.SUPABASE_SERVICE_ROLE_KEY;
  if (!anySupabase) {
    return { kind: "local", dataDir: env.DATA_DIR, authSecret: env.LOCAL_AUTH_SECRET };
  }
  if (!env.NEXT_PUBLIC_SUPABASE_URL) {
    problems.push("NEXT_PUBLIC_SUPABASE_URL is missing, but other Supabase variables are set");
  }
  if (!publishableKey) {
    problems.push(
      "NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY (or NEXT_PUBLIC_SUPABASE_ANON_KEY) is missing, but NEXT_PUBLIC_SUPABASE_URL is set",
    );
  }
  if (!env.NEXT_PUBLIC_SUPABASE_URL || !publishableKey) return undefined;
  return {
    kind: "supabase",
    url: env.NEXT_PUBLIC_SUPABASE_URL,
    publishableKey,
    serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY,
  };
}

let cached: ServerEnv | undefined;

/** The validated environment of this process, read once. */
export function getServerEnv(): ServerEnv {
  cached ??= parseServerEnv(process.env);
  return cached;
}

/** For tests that change process.env between cases. */
export function resetServerEnvForTests(): void {
  cached = undefined;
}

/**
 * The few values proxy.ts needs, read without the full schema: the proxy is
 * bundled on its own, runs on every request, and must not fail on a variable
 * it does not use. getServerEnv() still validates all of them at start-up.
 */
export function readProxyConfig(source: Record<string, string | undefined> = process.env): {
  supabase: { url: string; publishableKey: string; secureCookies: boolean } | null;
  /** The app's own origin for same-origin checks; a malformed APP_URL is left out here and reported by getServerEnv(). */
  appUrl?: string;
  /** Under `next dev` (which needs eval for its error overlay). */
  development: boolean;
} {
  const url = source.NEXT_PUBLIC_SUPABASE_URL?.trim();
  const publishableKey = (source.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY || source.NEXT_PUBLIC_SUPABASE_ANON_KEY)?.trim();
  // Behind a TLS-terminating proxy the request itself may look like http: APP_URL says what the browser sees.
  const secureCookies = source.APP_URL?.trim().startsWith("https://") ?? false;
  return {
    supabase: url && publishableKey ? { url, publishableKey, secureCookies } : null,
    appUrl: validAppUrl(source.APP_URL),
    development: source.NODE_ENV === "development",
  };
}

function validAppUrl(value: string | undefined): string | undefined {
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(value?.trim());
  return parsed.success ? parsed.data : undefined;
}
