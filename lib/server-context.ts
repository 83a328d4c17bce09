import "server-only";
import { cookies } from "next/headers";
import { cache } from "react";
import type { AuthService } from "@/lib/auth/auth-service";
import { getServerEnv, type ServerEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import type { ImageModel } from "@/lib/models/image-model";
import { createModelCatalog, LOCAL_MODEL_KEY, type CatalogEntry, type ModelCatalog, type SchemaStore } from "@/lib/models/model-catalog";
import { formatModelRef } from "@/lib/models/model-ref";
import type { InputBackend } from "@/lib/inputs/ports";
import type { Backend, SessionUser } from "@/lib/predictions/ports";

/**
 * The composition root: the one place that turns the validated env into the
 * model, auth and storage the app runs on. Everything else receives these.
 */

export type ServedFile = { body: ReadableStream<Uint8Array>; contentType: string; bytes: number };

export type BackendRuntime = {
  auth: AuthService;
  /** Rows and files as this person: row-level security applies. */
  backendFor(user: SessionUser): Backend;
  /** Rows and files with no session (webhooks, reconcile): callers must pass the owner's id. */
  serviceBackend(): Backend;
  /** Input images (rows and files) as this person: row-level security and storage policies apply. */
  inputsFor(user: SessionUser): InputBackend;
  /** Input images of everyone, for the clean-up job. */
  serviceInputs(): InputBackend;
  /** Where model schemas read from Replicate are kept, so they outlive the process. */
  schemaStore(): SchemaStore;
  /** Removes every file the person stored, in every bucket (account deletion). */
  purgeUserFiles(user: SessionUser): Promise<void>;
  /** Local mode serves its own files; cloud mode hands out signed URLs instead. */
  openFile?(user: SessionUser, path: string): Promise<ServedFile | null>;
  /** Releases what the backend holds open (the embedded database); used by tests and scripts. */
  close?(): Promise<void>;
};

/** `model` runs predictions; `catalog` says which models are configured and what each takes. */
export type AppContext = BackendRuntime & { env: ServerEnv; model: ImageModel; catalog: ModelCatalog };

async function createAppContext(): Promise<AppContext> {
  const env = getServerEnv();
  const secureCookies = env.appUrl?.startsWith("https://") ?? false;
  const [model, backend] = await Promise.all([createModel(env), createBackend(env, secureCookies)]);
  const entries: CatalogEntry[] =
    env.model.kind === "local"
      ? [{ key: LOCAL_MODEL_KEY, ref: "local" }]
      : env.model.models.map((ref) => ({ key: formatModelRef(ref), ref }));
  const catalog = createModelCatalog({ engine: model, entries, store: backend.schemaStore() });
  return { env, model, catalog, ...backend };
}

async function createModel(env: ServerEnv): Promise<ImageModel> {
  if (env.model.kind === "local") {
    const { createLocalModel } = await import("@/lib/models/local-model");
    // The local model keeps its own state under DATA_DIR, whichever backend stores the images.
    return createLocalModel({ dataDir: env.model.dataDir, durationMs: env.model.durationMs });
  }
  const { createReplicateModel } = await import("@/lib/models/replicate");
  return createReplicateModel(env.model);
}

async function createBackend(env: ServerEnv, secureCookies: boolean): Promise<BackendRuntime> {
  if (env.backend.kind === "local") {
    const { createLocalBackend } = await import("@/lib/local/local-backend");
    return createLocalBackend(env.backend, { secureCookies });
  }
  const { createSupabaseBackend } = await import("@/lib/supabase/supabase-backend");
  return createSupabaseBackend(env.backend, { secureCookies, appUrl: env.appUrl });
}

// Kept on globalThis: Next can evaluate this module more than once per process,
// and there must be one database handle.
const holder = globalThis as typeof globalThis & { __sdxlAppContext?: Promise<AppContext> };

export function getAppContext(): Promise<AppContext> {
  if (!holder.__sdxlAppContext) {
    const creating: Promise<AppContext> = createAppContext().catch((error) => {
      // Forget only this failed attempt: a context set meanwhile (a retry) stays.
      if (holder.__sdxlAppContext === creating) holder.__sdxlAppContext = undefined;
      throw error;
    });
    holder.__sdxlAppContext = creating;
  }
  return holder.__sdxlAppContext;
}

export function resetAppContextForTests(): void {
  holder.__sdxlAppContext = undefined;
}

/**
 * The signed-in person of the current request, or null. Cached per request: a
 * layout and its page both ask, and on Supabase each ask can be a network call.
 */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const context = await getAppContext();
  return context.auth.getUser(await cookies());
});

/** The signed-in person of the current request; AppError("unauthorized") otherwise. */
export async function requireUser(): Promise<{ user: SessionUser; context: AppContext }> {
  const context = await getAppContext();
  const user = await context.auth.getUser(await cookies());
  if (!user) throw new AppError("unauthorized", "Sign in to continue.");
  return { user, context };
}
