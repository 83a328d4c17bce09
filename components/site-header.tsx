import Link from "next/link";
import { Button, buttonClasses } from "@/components/ui/button";

export type SiteHeaderProps = {
  email: string | null;
  signOut: () => Promise<void>;
};

const NAV = [
  { href: "/dashboard/generate", label: "Generate" },
  { href: "/dashboard", label: "Gallery" },
] as const;

/**
 * The top bar. No hooks and no "use client": it renders on the server, and sign-out is
 * a plain form posting to a server action, so it works without JavaScript.
 */
export function SiteHeader({ email, signOut }: SiteHeaderProps) {
  return (
    <header className="sticky top-0 z-10 border-b bg-background/85 backdrop-blur supports-[backdrop-filter]:bg-background/70">
      <div className="mx-auto flex w-full max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Link href="/dashboard" className="flex items-center gap-2 text-sm font-semibold tracking-tight">
          <span aria-hidden="true" className="size-5 rounded-md bg-[conic-gradient(at_30%_30%,var(--accent),#a855f7,#f97316,var(--accent))]" />
          SDXL Studio
        </Link>

        <nav aria-label="Main" className="order-last w-full sm:order-none sm:w-auto">
          <ul className="flex gap-1">
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} className={buttonClasses({ variant: "ghost", size: "sm" })}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>

        <div className="ml-auto flex min-w-0 items-center gap-3">
          {email ? (
            <>
              <span className="hidden max-w-56 truncate text-sm text-muted min-[420px]:inline" title={email}>
                {email}
              </span>
              <form action={signOut}>
                <Button type="submit" variant="secondary" size="sm">
                  Sign out
                </Button>
              </form>
            </>
          ) : (
            <Link href="/login" className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
