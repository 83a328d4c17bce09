"use client";

import type { ReactNode } from "react";
import { cx } from "@/components/ui/class-names";

export type AdvancedSettingsProps = {
  /** How many settings are folded away, shown in the summary. */
  count: number;
  /** Marks the summary when a folded field has an error (in words, not only colour). */
  hasErrors: boolean;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
};

/**
 * The settings most people never touch, folded away in a native <details> (keyboard
 * and screen-reader support for free). It is controlled so the form can open it when
 * one of these fields has an error.
 */
export function AdvancedSettings({ count, hasErrors, open, onOpenChange, children }: AdvancedSettingsProps) {
  return (
    <details open={open} onToggle={(event) => onOpenChange(event.currentTarget.open)} className="group rounded-lg border bg-surface">
      <summary
        className={cx(
          "flex cursor-pointer list-none items-center justify-between gap-3 rounded-lg px-3.5 py-3 text-sm",
          "hover:bg-surface-strong [&::-webkit-details-marker]:hidden",
        )}
      >
        <span className="font-medium">
          Advanced settings
          {hasErrors ? <span className="ml-2 text-xs font-normal text-danger">Needs attention</span> : null}
        </span>
        <span className="flex items-center gap-2 text-xs text-muted">
          {count} {count === 1 ? "setting" : "settings"}
          <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4 shrink-0 transition-transform group-open:rotate-180" fill="none" stroke="currentColor" strokeWidth="1.5">
            <path d="m4 6 4 4 4-4" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
        </span>
      </summary>
      <div className="space-y-4 border-t px-3.5 py-4">{children}</div>
    </details>
  );
}
