"use client";

import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * A `<time>` formatted in the reader's own locale and time zone. The server cannot
 * know either, so server HTML and the hydration pass print the stable ISO date and
 * the browser swaps in the local format right after; this avoids hydration mismatches.
 */
export function LocalDateTime({
  iso,
  options = { dateStyle: "medium" },
  className,
}: {
  iso: string;
  options?: Intl.DateTimeFormatOptions;
  className?: string;
}) {
  const isClient = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  const date = new Date(iso);
  const valid = !Number.isNaN(date.getTime());
  const text = !valid ? iso : isClient ? new Intl.DateTimeFormat(undefined, options).format(date) : iso.slice(0, 10);
  return (
    <time dateTime={iso} className={className}>
      {text}
    </time>
  );
}
