import type { ReactNode } from "react";
import { cx } from "@/components/ui/class-names";

/** What a field hands to its control so label, hint and error are wired up for assistive tech. */
export type FieldControlProps = {
  id: string;
  className: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
};

export type FieldProps = {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  /** The first message is shown; servers may send several per field. */
  error?: string | readonly string[] | null;
  /** Rendered at the end of the label row, e.g. a character counter. */
  aside?: ReactNode;
  /** Ids of other elements that describe the control, e.g. that counter. */
  describedBy?: string;
  className?: string;
  children: (control: FieldControlProps) => ReactNode;
};

export function controlClasses(invalid = false): string {
  return cx(
    "block w-full rounded-lg border bg-background px-3 py-2 text-sm text-foreground shadow-xs",
    "placeholder:text-muted/80 transition-colors",
    "disabled:cursor-not-allowed disabled:bg-surface disabled:text-muted",
    invalid ? "border-danger" : "border-border-strong hover:border-muted/60",
  );
}

/**
 * Label + control + hint + error. The control is a render prop so any element
 * (input, textarea, select) gets the same id, aria-describedby and aria-invalid
 * without this component guessing at its props.
 */
export function Field({ id, label, hint, error, aside, describedBy, className, children }: FieldProps) {
  const message = typeof error === "string" ? error : error?.[0];
  const ids = messageIds(id, hint, message);
  const described = [ids.describedBy, describedBy].filter(Boolean).join(" ") || undefined;

  return (
    <div className={cx("space-y-1.5", className)}>
      <div className="flex items-baseline justify-between gap-3">
        <label htmlFor={id} className="text-sm font-medium text-foreground">
          {label}
        </label>
        {aside}
      </div>
      {children({
        id,
        className: controlClasses(Boolean(message)),
        "aria-describedby": described,
        ...(message ? { "aria-invalid": true as const } : {}),
      })}
      <FieldMessages error={message} errorId={ids.errorId} hint={hint} hintId={ids.hintId} />
    </div>
  );
}

/** The ids of a control's error and hint, and its aria-describedby (error first: it matters more). */
export function messageIds(id: string, hint: ReactNode, error: string | null | undefined) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return { hintId, errorId, describedBy: [errorId, hintId].filter(Boolean).join(" ") || undefined };
}

/** The error (with an icon, so it is not told by colour alone) and the hint under a control. */
export function FieldMessages({
  error,
  errorId,
  hint,
  hintId,
}: {
  error?: string | null;
  errorId?: string;
  hint?: ReactNode;
  hintId?: string;
}) {
  return (
    <>
      {error ? (
        <p id={errorId} className="flex items-start gap-1.5 text-sm text-danger">
          <svg aria-hidden="true" viewBox="0 0 16 16" className="mt-0.5 size-3.5 shrink-0" fill="currentColor">
            <path d="M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1Zm0 3.2c.44 0 .8.36.8.8v3.4a.8.8 0 0 1-1.6 0V5c0-.44.36-.8.8-.8Zm0 7.6a.95.95 0 1 1 0-1.9.95.95 0 0 1 0 1.9Z" />
          </svg>
          <span>{error}</span>
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
    </>
  );
}
