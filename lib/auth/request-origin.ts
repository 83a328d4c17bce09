import "server-only";
import { headers } from "next/headers";

/**
 * This request's origin, for links in emails when APP_URL is not set. Next
 * accepts a server action only when its Origin matches the host, and Supabase
 * sends links only to the project's allowed redirect URLs, so a forged header
 * cannot point an email elsewhere.
 */
export async function requestOrigin(): Promise<string> {
  const incoming = await headers();
  const origin = incoming.get("origin");
  if (origin && origin !== "null") return origin;
  const host = incoming.get("x-forwarded-host") ?? incoming.get("host") ?? "localhost:3000";
  const protocol = incoming.get("x-forwarded-proto") ?? (host.startsWith("localhost") || host.startsWith("127.0.0.1") ? "http" : "https");
  return `${protocol}://${host}`;
}
