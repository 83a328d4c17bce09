"use client";

import { useRouter } from "next/navigation";
import type { AnchorHTMLAttributes, MouseEvent } from "react";

export type AppLinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> & {
  /** A path of this app ("/dashboard?cursor=…"); another site gets a plain `<a>`. */
  href: string;
};

/**
 * A link to a page of this app: a real `<a href>` that, on a plain click, moves
 * there through the App Router without reloading the document, as next/link does.
 *
 * Why not next/link: its client code (prefetching links as they scroll into
 * view, URL objects, legacy modes) costs about 3.3 kB gzipped on every page that
 * shows one, a third of what the generate page may cost above the framework
 * (issue 12), and none of it helps here: every page behind a link is dynamic
 * (it reads the session) and has no loading.tsx, so a prefetch would fetch
 * nothing useful. `useRouter` is already part of the framework's floor.
 *
 * Clicks the browser should handle itself (a modifier key for a new tab or
 * window, another mouse button, a `target` or `download`) are left to it.
 */
export function AppLink({ href, onClick, ...props }: AppLinkProps) {
  const router = useRouter();

  function navigate(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || !isPlainClick(event)) return;
    event.preventDefault();
    router.push(href);
  }

  return <a {...props} href={href} onClick={navigate} />;
}

function isPlainClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  const link = event.currentTarget;
  const leavesThePage = (link.target !== "" && link.target !== "_self") || link.hasAttribute("download");
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey && !leavesThePage;
}
