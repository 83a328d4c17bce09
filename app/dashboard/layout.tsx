import { redirect } from "next/navigation";
import { SiteHeader } from "@/components/site-header";
import { getCurrentUser } from "@/lib/server-context";
import { signOut } from "../(auth)/actions";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  // The proxy only checks that a cookie exists; this checks that it is valid.
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return (
    <>
      <SiteHeader email={user.email} signOut={signOut} />
      <main className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6">{children}</main>
    </>
  );
}
