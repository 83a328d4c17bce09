import { createBrowserClient } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "@/lib/supabase/database.types";

/**
 * A client for code running in the browser. It takes only the two public values
 * (a server component reads them from lib/env.ts and passes them down as props),
 * so nothing secret can reach the bundle through it.
 *
 * The session cookies are HttpOnly (see client-options.ts), so this client acts
 * as `anon`: rows and files go through the server, which knows the person. Use
 * it for public data only.
 */
export function createSupabaseBrowserClient({
  url,
  publishableKey,
}: {
  url: string;
  publishableKey: string;
}): SupabaseClient<Database> {
  return createBrowserClient<Database>(url, publishableKey);
}
