import { completeEmailLink } from "@/lib/supabase/email-links";

/**
 * Where magic links (and sign-up confirmations sent with `emailRedirectTo`)
 * land with a one-time `code` (PKCE). Exchanging it needs the code verifier
 * cookie set when the link was asked for, so it works in that same browser.
 */
export async function GET(request: Request) {
  return completeEmailLink(request, (client, params) => {
    const code = params.get("code");
    return code ? client.auth.exchangeCodeForSession(code) : null;
  });
}
