import Link from "next/link";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/lib/server-context";

export default async function HomePage() {
  if (await getCurrentUser()) redirect("/dashboard/generate");
  return (
    <main className="mx-auto flex min-h-dvh max-w-2xl flex-col justify-center gap-6 px-6 py-16">
      <h1 className="text-4xl font-semibold tracking-tight">SDXL Studio</h1>
      <p className="text-lg text-[var(--muted)]">
        Type a prompt, watch it render, and keep every image in your own private gallery.
      </p>
      <div className="flex flex-wrap gap-3">
        <Link
          href="/signup"
          className="rounded-lg bg-[var(--accent)] px-4 py-2 font-medium text-[var(--accent-foreground)]"
        >
          Create an account
        </Link>
        <Link href="/login" className="rounded-lg border border-[var(--border)] px-4 py-2 font-medium">
          Sign in
        </Link>
      </div>
    </main>
  );
}
