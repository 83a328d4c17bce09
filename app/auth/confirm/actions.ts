"use server";

import type { EmailOtpType } from "@supabase/supabase-js";
import { confirmEmailLink } from "@/lib/supabase/email-links";

/** The confirm page's button: spends the link's one-time token, in this browser. */
export async function confirmLink(formData: FormData): Promise<void> {
  await confirmEmailLink({
    tokenHash: String(formData.get("token_hash") ?? ""),
    type: String(formData.get("type") ?? "") as EmailOtpType,
    next: formData.get("next"),
  });
}
