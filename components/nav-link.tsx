"use client";

import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { AppLink } from "@/components/ui/app-link";

/** A header link that marks the page it leads to when that page is open (`aria-current="page"`). */
export function NavLink({ href, className, children }: { href: string; className?: string; children: ReactNode }) {
  const current = usePathname() === href;
  return (
    <AppLink href={href} aria-current={current ? "page" : undefined} className={className}>
      {children}
    </AppLink>
  );
}
