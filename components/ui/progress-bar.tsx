import { cx } from "@/components/ui/class-names";

export type ProgressBarProps = {
  /** 0..100; values outside are clamped and fractions rounded. */
  value: number;
  /** What is happening, e.g. "generating"; read out with the percent. */
  label: string;
  /** The value is an estimate (from a usual run time, say): shown and read out as "about N%". */
  estimate?: boolean;
  className?: string;
};

/**
 * A determinate progress bar. The percent is both visible and exposed through the
 * ARIA progressbar values, with the stage in aria-valuetext so a screen reader
 * hears "45% — generating" rather than a bare number. An estimate says so in
 * both, so a guess is never read as a measurement.
 */
export function ProgressBar({ value, label, estimate = false, className }: ProgressBarProps) {
  const percent = Math.round(Math.min(100, Math.max(0, Number.isFinite(value) ? value : 0)));
  const shown = estimate ? `about ${percent}%` : `${percent}%`;
  return (
    <div className={cx("flex items-center gap-3", className)}>
      <div
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${shown} — ${label}`}
        className="h-2 flex-1 overflow-hidden rounded-full bg-surface-strong"
      >
        <div
          className="h-full rounded-full bg-accent transition-[width] duration-500 ease-out"
          style={{ width: `${percent}%` }}
        />
      </div>
      <span aria-hidden="true" className={cx("text-right font-mono text-xs tabular-nums text-muted", estimate ? "w-20" : "w-10")}>
        {shown}
      </span>
    </div>
  );
}
