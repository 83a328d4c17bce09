"use client";

import type { ReactNode } from "react";
import { parseRatio } from "@/components/generate/field-hints";
import { cx } from "@/components/ui/class-names";
import { FieldMessages, messageIds } from "@/components/ui/field";

/**
 * Controls for choosing among a few values: native radio buttons (arrow keys move
 * between them, Tab leaves the group) drawn as buttons, and a switch. The chosen
 * option is marked by a heavier border, filled icon and weight, never by colour alone.
 */

type GroupProps = {
  /** Given to the chosen radio (or the first), so an error summary link can focus the group. */
  id: string;
  name: string;
  legend: ReactNode;
  hint?: string | null;
  error?: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string; icon?: ReactNode }[];
  className?: string;
  optionClassName?: string;
};

function RadioGroup({ id, name, legend, hint, error, value, onChange, options, className, optionClassName }: GroupProps) {
  const { describedBy, errorId, hintId } = messageIds(id, hint, error);
  const focusTarget = options.some((option) => option.value === value) ? value : options[0]?.value;
  return (
    // No aria-invalid here: ARIA 1.2 does not allow it on a group; the error is in the description.
    <fieldset aria-describedby={describedBy} className="min-w-0 space-y-1.5">
      <legend className="mb-1.5 text-sm font-medium text-foreground">{legend}</legend>
      <div className={cx("flex flex-wrap gap-1.5", className)}>
        {options.map((option) => {
          const checked = option.value === value;
          return (
            <label key={option.value} className={cx("relative cursor-pointer", optionClassName)}>
              <input
                type="radio"
                id={option.value === focusTarget ? id : undefined}
                name={name}
                value={option.value}
                checked={checked}
                onChange={() => onChange(option.value)}
                className="peer sr-only"
              />
              <span
                className={cx(
                  "flex h-full items-center justify-center gap-1.5 rounded-lg border px-2.5 py-1.5 text-sm transition-colors",
                  "peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-(--ring)",
                  "peer-disabled:cursor-not-allowed peer-disabled:opacity-55",
                  checked
                    ? "border-foreground bg-accent-surface font-medium text-foreground shadow-[inset_0_0_0_1px_var(--color-foreground)]"
                    : error
                      ? "border-danger bg-background text-foreground hover:bg-surface-strong"
                      : "border-border-strong bg-background text-foreground hover:bg-surface-strong",
                )}
              >
                {option.icon}
                {option.label}
              </span>
            </label>
          );
        })}
      </div>
      <FieldMessages error={error} errorId={errorId} hint={hint} hintId={hintId} />
    </fieldset>
  );
}

export type ChoiceProps = Omit<GroupProps, "options"> & { options: readonly (string | number)[] };

/** Aspect ratios, each with a little rectangle of its shape; "custom" and other words get a dashed square. */
export function AspectRatioChoice({ options, ...props }: ChoiceProps) {
  return (
    <RadioGroup
      {...props}
      optionClassName="min-w-16"
      className="grid grid-cols-[repeat(auto-fill,minmax(4rem,1fr))]"
      options={options.map((option) => {
        const label = String(option);
        return { value: label, label: label === "custom" ? "Custom" : label, icon: <RatioIcon ratio={parseRatio(label)} checked={label === props.value} /> };
      })}
    />
  );
}

function RatioIcon({ ratio, checked }: { ratio: number | null; checked: boolean }) {
  // Fit the shape in a 16×16 box: the longer side is 14.
  const width = ratio === null ? 11 : ratio >= 1 ? 14 : Math.max(3, 14 * ratio);
  const height = ratio === null ? 11 : ratio >= 1 ? Math.max(3, 14 / ratio) : 14;
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4 shrink-0">
      <rect
        x={(16 - width) / 2}
        y={(16 - height) / 2}
        width={width}
        height={height}
        rx="1.5"
        fill={checked ? "currentColor" : "none"}
        fillOpacity={checked ? 0.25 : undefined}
        stroke="currentColor"
        strokeWidth="1.3"
        strokeDasharray={ratio === null ? "2 1.5" : undefined}
      />
    </svg>
  );
}

/** A short run of whole numbers (1–4 images) as one segmented row. */
export function SegmentedChoice({ minimum, maximum, ...props }: Omit<ChoiceProps, "options"> & { minimum: number; maximum: number }) {
  const options = Array.from({ length: maximum - minimum + 1 }, (_, i) => String(minimum + i));
  return <RadioGroup {...props} optionClassName="min-w-10" options={options.map((value) => ({ value, label: value }))} />;
}

export type SwitchProps = {
  id: string;
  label: ReactNode;
  hint?: string | null;
  error?: string;
  /** A switch without a default that was never touched shows off (and sends nothing). */
  checked: boolean;
  onChange: (checked: boolean) => void;
};

/** A button with role="switch": Space and Enter toggle it, and its state is read out as on or off. */
export function Switch({ id, label, hint, error, checked, onChange }: SwitchProps) {
  const { describedBy, errorId, hintId } = messageIds(id, hint, error);
  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between gap-3">
        <label htmlFor={id} className="text-sm font-medium text-foreground">
          {label}
        </label>
        <button
          type="button"
          role="switch"
          id={id}
          aria-checked={checked}
          aria-describedby={describedBy}
          aria-invalid={error ? true : undefined}
          onClick={() => onChange(!checked)}
          className={cx(
            "relative inline-flex h-6 w-11 shrink-0 cursor-pointer items-center rounded-full border transition-colors",
            "disabled:cursor-not-allowed disabled:opacity-55",
            checked ? "border-foreground bg-foreground" : "border-border-strong bg-surface-strong",
          )}
        >
          <span
            aria-hidden="true"
            className={cx(
              "absolute top-1/2 size-4 -translate-y-1/2 rounded-full shadow-xs transition-[left]",
              checked ? "left-[1.375rem] bg-background" : "left-0.5 border border-border-strong bg-background",
            )}
          />
          <span aria-hidden="true" className={cx("absolute text-[0.55rem] font-semibold uppercase", checked ? "left-1.5 text-background" : "right-1 text-muted")}>
            {checked ? "on" : "off"}
          </span>
        </button>
      </div>
      <FieldMessages error={error} errorId={errorId} hint={hint} hintId={hintId} />
    </div>
  );
}
