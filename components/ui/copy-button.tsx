"use client";

import { useEffect, useRef, useState } from "react";
import { Button, type ButtonProps } from "@/components/ui/button";

/**
 * Copies `text` to the clipboard. The Clipboard API needs a secure context (https or
 * localhost), so on plain http (a LAN address, say) this falls back to selecting a
 * hidden textarea and `execCommand("copy")`. The textarea goes inside `container`:
 * while a modal dialog is open the rest of the page is inert and cannot be selected.
 */
export async function copyText(text: string, container: HTMLElement = document.body): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied or unavailable: try the old way below.
  }
  const previousFocus = document.activeElement as HTMLElement | null;
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.setAttribute("aria-hidden", "true");
  area.style.position = "fixed";
  area.style.opacity = "0";
  area.style.pointerEvents = "none";
  container.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  previousFocus?.focus();
  return copied;
}

type CopyState = "idle" | "copied" | "failed";

export type CopyButtonProps = Omit<ButtonProps, "onClick" | "children"> & {
  text: string;
  /** What the button says, e.g. "Copy prompt". */
  label: string;
  /** What is announced after a copy, e.g. "Prompt copied". */
  copiedMessage?: string;
};

/**
 * A button that copies `text` and says so: the label turns into "Copied" for a moment,
 * and a polite live region announces it, since a label change alone is not read out.
 */
export function CopyButton({ text, label, copiedMessage = "Copied to the clipboard", variant = "secondary", size = "sm", ...props }: CopyButtonProps) {
  const [state, setState] = useState<CopyState>("idle");
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (state !== "copied") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    const container = buttonRef.current?.parentElement ?? document.body;
    setState((await copyText(text, container)) ? "copied" : "failed");
  }

  return (
    <>
      <Button ref={buttonRef} variant={variant} size={size} onClick={copy} {...props}>
        <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3.5" fill="none" stroke="currentColor" strokeWidth="1.5">
          {state === "copied" ? (
            <path d="m3.5 8.5 3 3 6-7" strokeLinecap="round" strokeLinejoin="round" />
          ) : (
            <>
              <rect x="5.25" y="5.25" width="8" height="8" rx="1.5" />
              <path d="M10.75 5.25V4a1.25 1.25 0 0 0-1.25-1.25H4A1.25 1.25 0 0 0 2.75 4v5.5A1.25 1.25 0 0 0 4 10.75h1.25" />
            </>
          )}
        </svg>
        {state === "copied" ? "Copied" : label}
      </Button>
      <span role="status" className="sr-only">
        {state === "copied" ? copiedMessage : ""}
      </span>
      {state === "failed" ? (
        <span role="alert" className="basis-full text-xs text-danger">
          Could not copy. Select the text and copy it yourself.
        </span>
      ) : null}
    </>
  );
}
