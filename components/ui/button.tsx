import type { ComponentPropsWithRef } from "react";
import { cx } from "@/components/ui/class-names";

export type ButtonVariant = "primary" | "secondary" | "ghost" | "danger" | "danger-ghost";
export type ButtonSize = "sm" | "md";

const base =
  "inline-flex shrink-0 items-center justify-center gap-2 rounded-lg font-medium whitespace-nowrap " +
  "transition-colors select-none disabled:cursor-not-allowed disabled:opacity-55";

const variants: Record<ButtonVariant, string> = {
  // High-contrast ink button, the one primary action per view.
  primary: "bg-foreground text-background hover:bg-foreground/85",
  secondary: "border border-border-strong bg-background text-foreground hover:bg-surface-strong",
  ghost: "text-muted hover:bg-surface-strong hover:text-foreground",
  danger: "bg-danger text-danger-foreground hover:bg-danger/85",
  // A destructive action that is not the main one (it asks for confirmation first).
  "danger-ghost": "text-danger hover:bg-danger-surface",
};

const sizes: Record<ButtonSize, string> = {
  sm: "h-8 px-3 text-sm",
  md: "h-10 px-4 text-sm",
};

/** The button look, for links that should read as actions (`<AppLink className={buttonClasses()}>`). */
export function buttonClasses({
  variant = "primary",
  size = "md",
  className,
}: { variant?: ButtonVariant; size?: ButtonSize; className?: string } = {}): string {
  return cx(base, variants[variant], sizes[size], className);
}

export type ButtonProps = ComponentPropsWithRef<"button"> & { variant?: ButtonVariant; size?: ButtonSize };

/**
 * A plain button with the app's look. It defaults to `type="button"` because an
 * implicit submit inside a form is a classic source of surprise; submit buttons say so.
 * No hooks, so it renders in server components too.
 */
export function Button({ variant, size, className, type = "button", ...props }: ButtonProps) {
  return <button type={type} className={buttonClasses({ variant, size, className })} {...props} />;
}
