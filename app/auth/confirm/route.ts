import type { EmailOtpType } from "@supabase/supabase-js";
import { completeEmailLink } from "@/lib/supabase/email-links";

const EMAIL_OTP_TYPES: readonly EmailOtpType[] = ["signup", "invite", "magiclink", "recovery", "email_change", "email"];

/**
 * Where email templates that link `{{ .SiteURL }}/auth/confirm?token_hash={{ .TokenHash }}&type=...`
 * land. Unlike /auth/callback this needs no cookie from before, so the link
 * works on any device the email is opened on.
 */
export async function GET(request: Request) {
  return completeEmailLink(request, (client, params) => {
    const tokenHash = params.get("token_hash");
    const type = params.get("type") as EmailOtpType | null;
    if (!tokenHash || !type || !EMAIL_OTP_TYPES.includes(type)) return null;
    return client.auth.verifyOtp({ type, token_hash: tokenHash });
  });
}
