import type { Metadata } from "next";
import { AuthForm } from "@/components/auth/auth-form";
import { Brand } from "@/components/brand";
import { safeNextPath } from "@/lib/auth/safe-next-path";
import { signUp } from "../actions";

export const metadata: Metadata = { title: "Create an account" };

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  return (
    <main className="mx-auto flex min-h-dvh max-w-sm flex-col justify-center gap-6 px-6 py-16">
      <Brand />
      <div className="space-y-1">
        <h1 className="text-2xl font-semibold tracking-tight">Create your account</h1>
        <p className="text-sm text-muted">Your images are private to you.</p>
      </div>
      <AuthForm mode="sign-up" action={signUp} next={safeNextPath(next)} />
    </main>
  );
}
