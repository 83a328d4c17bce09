import "server-only";
import { createClient } from "@supabase/supabase-js";
import { AppError } from "@/lib/errors";
import { serverRealtimeOptions, type SupabaseConfig, type TypedSupabaseClient } from "@/lib/supabase/client-options";
import type { Database } from "@/lib/supabase/database.types";

/**
 * The service-role client: it bypasses row-level security, so it is only for
 * the paths that run without a person (the Replicate webhook and the reconcile
 * step), and the stores built on it filter every query on the owner's id.
 * It holds no session (nothing to persist or refresh), so one per process is fine.
 */
export function createSupabaseAdminClient(config: SupabaseConfig): TypedSupabaseClient {
  if (!config.serviceRoleKey) {
    throw new AppError(
      "internal",
      "SUPABASE_SERVICE_ROLE_KEY is not set, so images cannot be saved without a signed-in person (webhooks, reconcile). Set it on the server.",
    );
  }
  return createClient<Database>(config.url, config.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: serverRealtimeOptions(),
  });
}
