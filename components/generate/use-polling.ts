"use client";

import { useCallback, useEffect, useRef, useState } from "react";

export type PollingOptions<T> = {
  /** What is polled (the prediction's URL); null polls nothing. A new key starts over from `initial`. */
  url: string | null;
  /** What the key is known to hold already; the first poll waits one delay after it, like the rest. */
  initial: T | undefined;
  read: (url: string) => Promise<T>;
  /** Milliseconds until the next poll after `latest`; 0 stops polling. Called after every answer. */
  delayAfter: (latest: T | undefined) => number;
  /** Milliseconds until a failed poll is retried (`attempt` counts from 1); null gives up. */
  retryAfter: (error: unknown, attempt: number) => number | null;
};

export type Polling<T> = {
  data: T | undefined;
  /** The last poll's failure; cleared by the next answer. */
  error: unknown;
  /** Replaces what is known (an answer that came another way, such as a cancel's) without polling. */
  replace: (data: T) => void;
};

type Known<T> = { url: string; data: T | undefined; error: unknown };

/**
 * Polls one URL on a schedule its own answers decide. What SWR did for this
 * page (a timer, a retry with backoff, no polls while the tab is hidden or
 * offline) is all the generate form needed of it, and SWR alone was a quarter
 * of the page's own JavaScript.
 */
export function usePolling<T>({ url, initial, read, delayAfter, retryAfter }: PollingOptions<T>): Polling<T> {
  const [known, setKnown] = useState<Known<T> | null>(null);
  const current = known && known.url === url ? known : null;
  const data = current ? current.data : initial;

  // The loop reads the newest answer and callbacks without restarting on each render.
  const latest = useRef({ data, read, retryAfter });
  useEffect(() => {
    latest.current = { data, read, retryAfter };
  });
  const active = useRef(url);
  const replaced = useRef(0);
  useEffect(() => {
    active.current = url;
    return () => {
      active.current = null;
    };
  }, [url]);

  useEffect(() => {
    if (!url) return;
    const key = url;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Set when the rule changes or the key goes: this loop schedules nothing more.
    let stopped = false;

    const schedule = (delay: number, attempt: number) => {
      if (delay > 0 && !stopped) timer = setTimeout(() => void poll(attempt), delay);
    };

    async function poll(attempt: number) {
      if (document.visibilityState === "hidden" || !navigator.onLine) {
        // Nothing is read for a tab nobody looks at, or while offline; it is tried again a delay later.
        return schedule(delayAfter(latest.current.data), attempt);
      }
      const asked = replaced.current;
      try {
        const answer = await latest.current.read(key);
        // An answer for a key since left is dropped; one that outlived a rule change still counts.
        if (active.current !== key) return;
        // Older than a replacement that came meanwhile (a cancel's answer): the newer one stands.
        if (replaced.current !== asked) return schedule(delayAfter(latest.current.data), 0);
        latest.current.data = answer;
        setKnown({ url: key, data: answer, error: undefined });
        schedule(delayAfter(answer), 0);
      } catch (error) {
        if (active.current !== key) return;
        setKnown({ url: key, data: latest.current.data, error });
        const retry = latest.current.retryAfter(error, attempt + 1);
        if (retry !== null) schedule(retry, attempt + 1);
      }
    }

    schedule(delayAfter(latest.current.data), 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // A new delay rule (polling done, say) starts the wait afresh, as SWR did.
  }, [url, delayAfter]);

  const replace = useCallback(
    (answer: T) => {
      if (!url) return;
      replaced.current += 1;
      latest.current.data = answer;
      setKnown({ url, data: answer, error: undefined });
    },
    [url],
  );

  return { data, error: current?.error, replace };
}
