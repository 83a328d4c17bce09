"use client";

import { useLayoutEffect, useRef } from "react";

/**
 * Focuses the element once, when it first appears. Remount it (change its `key`) to
 * focus again: that ties focus moves to "a new status/error appeared" rather than
 * to every re-render, which would yank focus away while someone is reading.
 *
 * The page scrolls to it only if its top is off screen (html's scroll-padding keeps it
 * clear of the sticky header).
 *
 * A layout effect, so focus has moved by the time the new content is painted (and
 * announced), never a frame later.
 *
 * If focus is already inside the element (a child that mounted in the same commit
 * took it, e.g. an error notice inside a status panel), the child wins: effects run
 * child-first, and the more specific target is the more useful one.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element || element.contains(document.activeElement)) return;
    // Scroll only when its top is out of sight: a panel already on screen stays put
    // instead of jumping the page on every submit.
    element.focus({ preventScroll: true });
    const { top } = element.getBoundingClientRect();
    if (top < 0 || top > window.innerHeight - 96) element.scrollIntoView?.({ block: "start" });
  }, []);
  return ref;
}
