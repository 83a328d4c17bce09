import "server-only";
import type { Backend } from "@/lib/predictions/ports";
import type { BackendRuntime } from "@/lib/server-context";
import { createSupabaseAdminClient } from "@/lib/supabase/admin";
import type { SupabaseConfig, SupabaseRuntimeOptions, TypedSupabaseClient } from "@/lib/supabase/client-options";
import { createSupabaseServerClient } from "@/lib/supabase/server";
import { createSupabaseAuth } from "@/lib/supabase/supabase-auth";
import { createSupabaseFileStore, SIGNED_URL_REUSE_MS } from "@/lib/supabase/supabase-files";
import { createSignedUrlCache } from "@/lib/supabase/signed-url-cache";
import { createSupabaseInputBackend } from "@/lib/supabase/supabase-inputs";
import { createSupabaseRowStore } from "@/lib/supabase/supabase-rows";
import { createSupabaseSchemaStore } from "@/lib/supabase/supabase-schema-store";
import { createMemorySchemaStore } from "@/lib/models/model-catalog";
import { createMemoryAttemptStore, createThrottle, type AttemptStore } from "@/lib/auth/sign-in-throttle";
import { AppError } from "@/lib/errors";
import { purgeUserFolders } from "@/lib/supabase/purge-user-files";
import { createSupabaseAttemptStore } from "@/lib/supabase/supabase-attempt-store";

/**
 * The cloud backend: Supabase Auth, PostgREST and Storage. Nothing is opened
 * up front; clients are cheap objects over fetch.
 */
export async function createSupabaseBackend(
  config: SupabaseConfig,
  options: SupabaseRuntimeOptions = {},
): Promise<BackendRuntime> {
  let admin: Backend | undefined;
  let adminClient: TypedSupabaseClient | undefined;
  const adminClientOf = () => (adminClient ??= createSupabaseAdminClient(config));
  // For this process, so an image keeps its URL across requests while it is valid.
  const signedUrls = createSignedUrlCache({ reuseForMs: SIGNED_URL_REUSE_MS });

  return {
    auth: createSupabaseAuth(config, {
      ...options,
      throttle: createThrottle({ store: attemptStore(config, adminClientOf) }),
      admin: config.serviceRoleKey ? adminClientOf : undefined,
    }),

    // Every bucket, not only the images one: whatever a person stored under their folder goes.
    async purgeUserFiles(user) {
      if (!config.serviceRoleKey) throw new AppError("internal", "Deleting accounts needs SUPABASE_SERVICE_ROLE_KEY on the server.");
      await purgeUserFolders(adminClientOf(), user.id);
    },

    // backendFor is synchronous and gets only the person, but their client
    // needs this request's cookies: it is built on first use, from next/headers,
    // and shared by the rows and files of this one Backend (one request). The
    // person's id is not needed for the rows: every store method takes it and
    // filters on it, and row-level security checks it against the cookie's JWT.
    // The files use it to reuse only the signed URLs made for this person.
    backendFor(user): Backend {
      let client: Promise<TypedSupabaseClient> | undefined;
      const source = () => (client ??= createSupabaseServerClient(config, options));
      return { rows: createSupabaseRowStore(source), files: createSupabaseFileStore(source, { viewer: user.id, signedUrls }) };
    },

    inputsFor() {
      let client: Promise<TypedSupabaseClient> | undefined;
      return createSupabaseInputBackend(() => (client ??= createSupabaseServerClient(config, options)));
    },

    serviceInputs() {
      return createSupabaseInputBackend(createSupabaseAdminClient(config));
    },

    serviceBackend(): Backend {
      // Throws a clear AppError when SUPABASE_SERVICE_ROLE_KEY is missing.
      if (!admin) {
        const client = adminClientOf();
        admin = { rows: createSupabaseRowStore(client), files: createSupabaseFileStore(client) };
      }
      return admin;
    },

    // Without the service key the schemas are kept only in memory: a restart
    // while Replicate's model API is down then finds the model unavailable.
    schemaStore() {
      return config.serviceRoleKey ? createSupabaseSchemaStore(createSupabaseAdminClient(config)) : createMemorySchemaStore();
    },
  };
}

/**
 * The throttle's attempts go to the project's database when the service key
 * is there to reach them; otherwise each server instance counts on its own,
 * which a deployment with several instances should not rely on.
 */
function attemptStore(config: SupabaseConfig, admin: () => TypedSupabaseClient): AttemptStore {
  if (config.serviceRoleKey) return createSupabaseAttemptStore(admin());
  console.warn(
    "SUPABASE_SERVICE_ROLE_KEY is not set: sign-in attempts are counted per server instance, in memory. Set it so every instance shares the count.",
  );
  return createMemoryAttemptStore();
}
