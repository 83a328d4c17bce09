"use client";

import { useEffect, useState } from "react";

export function formatElapsed(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

/**
 * Seconds since `since`, ticking once a second while `running` and frozen after.
 * The server's clock and the browser's may differ a little, so it never goes below 0.
 */
export function ElapsedTime({ since, running }: { since: string; running: boolean }) {
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearInterval(timer);
      // Freeze on the moment it stopped, not on the last whole-second tick.
      setNow(Date.now());
    };
  }, [running]);

  const start = Date.parse(since);
  const seconds = Number.isNaN(start) ? 0 : (now - start) / 1000;

  return (
    <p className="flex shrink-0 items-center gap-1.5 font-mono text-xs tabular-nums text-muted">
      <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3.5" fill="none" stroke="currentColor" strokeWidth="1.5">
        <circle cx="8" cy="8" r="6.25" />
        <path d="M8 4.75V8l2.25 1.5" strokeLinecap="round" />
      </svg>
      <span className="sr-only">Elapsed time: </span>
      {formatElapsed(seconds)}
    </p>
  );
}
