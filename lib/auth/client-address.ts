/**
 * The client's address as the nearest proxy reported it: the last entry of
 * X-Forwarded-For (the one a proxy appends, and the one `next start` sets from
 * the socket when the request has none; earlier entries are whatever the client
 * sent), else X-Real-IP. Without a proxy a client can forge both, which is why
 * sign-in throttling never relies on the address alone. Capped, so a huge
 * header cannot become a huge key.
 */
export function clientAddressFrom(headers: { get(name: string): string | null }): string | null {
  const forwarded = headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  const address = forwarded || headers.get("x-real-ip")?.trim();
  return address ? address.slice(0, 64) : null;
}
