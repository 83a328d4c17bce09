import "server-only";
import { headers } from "next/headers";
import type { SignInRequest } from "@/lib/auth/auth-service";
import { clientAddressFrom } from "@/lib/auth/client-address";
import { requestOrigin } from "@/lib/auth/request-origin";
import { getAppContext } from "@/lib/server-context";

/** The client's address and this app's origin, for the throttle and for links in emails. */
export async function signInRequest(): Promise<SignInRequest & { origin: string }> {
  const { env } = await getAppContext();
  return { clientAddress: clientAddressFrom(await headers(), env.trustedProxies), origin: env.appUrl ?? (await requestOrigin()) };
}
