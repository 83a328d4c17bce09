import { AppLink } from "@/components/ui/app-link";
import { buttonClasses } from "@/components/ui/button";

/** What the gallery shows before the first image. No hooks, so server pages can render it directly. */
export function EmptyGallery() {
  return (
    <div className="flex flex-col items-center gap-4 rounded-xl border border-dashed bg-surface px-6 py-14 text-center">
      <span aria-hidden="true" className="flex size-11 items-center justify-center rounded-full border bg-background text-muted">
        <svg viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.5">
          <rect x="3.5" y="4.5" width="17" height="15" rx="2.5" />
          <circle cx="9" cy="10" r="1.75" />
          <path d="m4 17 4.5-4.5 3.5 3.5 3-3 5 5" strokeLinejoin="round" />
        </svg>
      </span>
      <div className="space-y-1">
        <h2 className="text-base font-semibold">No images yet</h2>
        <p className="max-w-sm text-sm text-muted">Everything you generate is saved here, newest first.</p>
      </div>
      <AppLink href="/dashboard/generate" className={buttonClasses()}>
        Generate your first image
      </AppLink>
    </div>
  );
}
