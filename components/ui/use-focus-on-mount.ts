"use client";

import { useEffect, useRef } from "react";

/**
 * Focuses the element once, when it first appears. Remount it (change its `key`) to
 * focus again: that ties focus moves to "a new status/error appeared" rather than
 * to every re-render, which would yank focus away while someone is reading.
 *
 * If focus is already inside the element (a child that mounted in the same commit
 * took it, e.g. an error notice inside a status panel), the child wins: effects run
 * child-first, and the more specific target is the more useful one.
 */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => {
    const element = ref.current;
    if (element && !element.contains(document.activeElement)) element.focus();
  }, []);
  return ref;
}
