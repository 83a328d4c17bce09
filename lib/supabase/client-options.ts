import type { CookieOptions } from "@supabase/ssr";
import type { SupabaseClient, WebSocketLikeConstructor } from "@supabase/supabase-js";
import type { BackendConfig } from "@/lib/env";
import type { Database } from "@/lib/supabase/database.types";

/**
 * What every Supabase client in this app shares. Kept free of server-only
 * imports and secrets: the proxy loads it too.
 */

export type SupabaseConfig = Extract<BackendConfig, { kind: "supabase" }>;

export type TypedSupabaseClient = SupabaseClient<Database>;

/** Options the composition root can pass down; both default to the conservative choice. */
export type SupabaseRuntimeOptions = {
  /** Mark session cookies Secure (the app is served over https). */
  secureCookies?: boolean;
  /** Public origin for links in emails (sign-up confirmation, magic links). */
  appUrl?: string;
};

/**
 * Session cookies are HttpOnly, as the AuthService port promises: every read
 * and write of the session happens on the server (server actions, route
 * handlers, the proxy), so no script in the page ever needs the tokens.
 */
export function sessionCookieOptions(secure = false): CookieOptions {
  return { httpOnly: true, secure, sameSite: "lax", path: "/" };
}

/**
 * The app never opens a Realtime channel, but supabase-js builds its Realtime
 * client eagerly and, on Node 20 (no global WebSocket), throws "Node.js 20
 * detected without native WebSocket support" unless given a transport. Inside
 * `next start` Next installs a WebSocket global; in plain Node (tests, scripts)
 * this stand-in keeps createClient working and fails loudly if Realtime is ever
 * used, instead of adding the `ws` package for a feature nobody calls.
 */
class RealtimeUnavailable {
  constructor() {
    throw new Error("Supabase Realtime is not used by SDXL Studio and has no WebSocket transport here.");
  }
}

export function serverRealtimeOptions(): { transport: WebSocketLikeConstructor } {
  const native = (globalThis as { WebSocket?: unknown }).WebSocket;
  const transport = typeof native === "function" ? native : RealtimeUnavailable;
  return { transport: transport as unknown as WebSocketLikeConstructor };
}
