import { AppLink } from "@/components/ui/app-link";
import { cx } from "@/components/ui/class-names";

/** The app's name with its mark, linking home (or wherever `href` says). */
export function Brand({ href = "/", className }: { href?: string; className?: string }) {
  return (
    <AppLink href={href} className={cx("flex w-fit items-center gap-2 text-sm font-semibold tracking-tight", className)}>
      <span
        aria-hidden="true"
        className="size-5 rounded-md bg-[conic-gradient(at_30%_30%,var(--accent),#a855f7,#f97316,var(--accent))]"
      />
      SDXL Studio
    </AppLink>
  );
}
