import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/account/change-password-form";
import { DeleteAccountForm } from "@/components/account/delete-account-form";
import { Notice } from "@/components/ui/notice";
import { getCurrentUser } from "@/lib/server-context";
import { changePassword, deleteAccount } from "./actions";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage({ searchParams }: { searchParams: Promise<{ notice?: string }> }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login?next=/dashboard/account");
  const { notice } = await searchParams;
  return (
    <div className="mx-auto max-w-lg space-y-10">
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Account</h1>
        <p className="text-sm text-muted">Signed in as {user.email}</p>
      </div>
      {notice === "password-reset" ? <Notice tone="info" role="status" title="Your new password is set. You are signed in." /> : null}
      <section aria-labelledby="change-password" className="space-y-4">
        <h2 id="change-password" className="text-lg font-semibold">
          Change password
        </h2>
        <ChangePasswordForm action={changePassword} email={user.email} />
      </section>
      <section aria-labelledby="delete-account" className="space-y-4 border-t pt-8">
        <h2 id="delete-account" className="text-lg font-semibold text-danger">
          Delete account
        </h2>
        <DeleteAccountForm action={deleteAccount} email={user.email} />
      </section>
    </div>
  );
}
