import { Brand } from "@/components/brand";
import { NavLink } from "@/components/nav-link";
import { AppLink } from "@/components/ui/app-link";
import { Button, buttonClasses } from "@/components/ui/button";

export type SiteHeaderProps = {
  email: string | null;
  signOut: () => Promise<void>;
};

const NAV = [
  { href: "/dashboard/generate", label: "Generate" },
  { href: "/dashboard", label: "Gallery" },
  { href: "/dashboard/account", label: "Account" },
] as const;

/**
 * The top bar. No hooks and no "use client": it renders on the server (only the links,
 * which mark the current page, are client components), and sign-out is a plain form
 * posting to a server action, so it works without JavaScript.
 */
export function SiteHeader({ email, signOut }: SiteHeaderProps) {
  return (
    <header className="sticky top-0 z-10 border-b bg-background/85 backdrop-blur supports-[backdrop-filter]:bg-background/70">
      <div className="mx-auto flex w-full max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
        <Brand href="/dashboard" />

        <nav aria-label="Main" className="order-last w-full sm:order-none sm:w-auto">
          <ul className="flex gap-1">
            {NAV.map((item) => (
              <li key={item.href}>
                <NavLink
                  href={item.href}
                  className={buttonClasses({
                    variant: "ghost",
                    size: "sm",
                    className: "aria-[current=page]:bg-surface-strong aria-[current=page]:text-foreground",
                  })}
                >
                  {item.label}
                </NavLink>
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
            <AppLink href="/login" className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Sign in
            </AppLink>
          )}
        </div>
      </div>
    </header>
  );
}
