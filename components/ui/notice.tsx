import type { ComponentPropsWithRef, ReactNode } from "react";
import { cx } from "@/components/ui/class-names";

export type NoticeTone = "info" | "error";

export type NoticeProps = Omit<ComponentPropsWithRef<"div">, "title"> & {
  tone?: NoticeTone;
  title?: ReactNode;
  children?: ReactNode;
};

const tones: Record<NoticeTone, string> = {
  info: "border-accent/30 bg-accent-surface",
  error: "border-danger/40 bg-danger-surface",
};

/**
 * A callout for information or errors. It takes any div props, so callers decide
 * whether it is announced (`role="alert"`) or focusable (`tabIndex={-1}` plus a ref),
 * which depends on how the notice appears, not on its tone.
 */
export function Notice({ tone = "info", title, children, className, ...props }: NoticeProps) {
  return (
    <div className={cx("flex gap-3 rounded-lg border p-3.5 text-sm", tones[tone], className)} {...props}>
      <NoticeIcon tone={tone} />
      <div className="min-w-0 flex-1 space-y-1 leading-relaxed">
        {title ? <p className={cx("font-medium", tone === "error" ? "text-danger" : "text-foreground")}>{title}</p> : null}
        {children ? <div className="text-foreground">{children}</div> : null}
      </div>
    </div>
  );
}

function NoticeIcon({ tone }: { tone: NoticeTone }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 20 20"
      className={cx("mt-0.5 size-4 shrink-0", tone === "error" ? "text-danger" : "text-accent")}
      fill="currentColor"
    >
      {tone === "error" ? (
        <path d="M10 1.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17Zm0 4a.9.9 0 0 1 .9.9v4.2a.9.9 0 1 1-1.8 0V6.4a.9.9 0 0 1 .9-.9Zm0 9.3a1.1 1.1 0 1 1 0-2.2 1.1 1.1 0 0 1 0 2.2Z" />
      ) : (
        <path d="M10 1.5a8.5 8.5 0 1 0 0 17 8.5 8.5 0 0 0 0-17Zm0 3.9a1.1 1.1 0 1 1 0 2.2 1.1 1.1 0 0 1 0-2.2Zm1.2 9.6H8.8a.8.8 0 0 1 0-1.6h.4V10h-.4a.8.8 0 0 1 0-1.6H10a.8.8 0 0 1 .8.8v4.2h.4a.8.8 0 0 1 0 1.6Z" />
      )}
    </svg>
  );
}
