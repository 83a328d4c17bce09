import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { SiteHeader } from "@/components/site-header";
import { REQUEST_PATH_HEADER, signInPathFor } from "@/lib/http/request-path";
import { getCurrentUser } from "@/lib/server-context";
import { signOut } from "../(auth)/actions";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  // The proxy only checks that a cookie exists; this checks that it is valid. A
  // layout's redirect wins over its page's, so it must name the page to come back to.
  const user = await getCurrentUser();
  if (!user) redirect(signInPathFor((await headers()).get(REQUEST_PATH_HEADER)));
  return (
    <>
      <SiteHeader email={user.email} signOut={signOut} />
      <main className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </>
  );
}
