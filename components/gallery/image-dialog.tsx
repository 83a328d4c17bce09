"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button, buttonClasses } from "@/components/ui/button";
import { LocalDateTime } from "@/components/ui/local-date-time";
import type { GalleryImage } from "@/lib/predictions/types";

export type ImageDialogProps = {
  /** The image to show; null keeps the dialog closed. */
  image: GalleryImage | null;
  /** Fired when the dialog has closed, however it was closed (Escape, button, backdrop, delete). */
  onClosed: () => void;
  /** The person confirmed the delete; the dialog closes right after. */
  onDelete: (image: GalleryImage) => void;
};

/**
 * The full-size view, on a native modal <dialog>: the browser traps focus, makes the
 * page behind inert and closes on Escape, which no hand-rolled overlay gets fully right.
 */
export function ImageDialog({ image, onClosed, onDelete }: ImageDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (image && !dialog.open) dialog.showModal();
    if (!image && dialog.open) dialog.close();
  }, [image]);

  const close = () => ref.current?.close();

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClosed}
      // A click whose target is the dialog itself landed on the backdrop, outside the panel.
      onClick={(event) => {
        if (event.target === event.currentTarget) close();
      }}
      className="m-auto max-h-[calc(100dvh-1.5rem)] w-[min(calc(100%-1.5rem),72rem)] overflow-y-auto rounded-xl border bg-background p-0 text-foreground shadow-2xl backdrop:bg-black/65 md:overflow-hidden"
    >
      {image ? (
        <ImageDetails
          key={image.id}
          image={image}
          titleId={titleId}
          onClose={close}
          onDelete={() => {
            onDelete(image);
            close();
          }}
        />
      ) : null}
    </dialog>
  );
}

function ImageDetails({
  image,
  titleId,
  onClose,
  onDelete,
}: {
  image: GalleryImage;
  titleId: string;
  onClose: () => void;
  onDelete: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const { input } = image;

  return (
    <div className="grid md:max-h-[calc(100dvh-1.5rem)] md:grid-cols-[minmax(0,1fr)_22rem]">
      <div className="flex items-center justify-center bg-surface-strong p-3 md:min-h-0">
        {/* Authenticated or signed URL: plain img, see gallery-grid.tsx. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img
          src={image.url}
          alt={image.prompt}
          width={image.width}
          height={image.height}
          className="h-auto max-h-[60dvh] w-auto max-w-full rounded-md object-contain md:max-h-[calc(100dvh-3rem)]"
        />
      </div>

      <div className="flex flex-col gap-5 p-5 md:min-h-0 md:overflow-y-auto">
        <div className="flex items-start justify-between gap-3">
          <h2 id={titleId} className="text-base font-semibold">
            Image details
          </h2>
          <Button variant="ghost" size="sm" onClick={onClose} aria-label="Close" className="-mt-1 -mr-2 px-2">
            <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.6">
              <path d="m4 4 8 8M12 4l-8 8" strokeLinecap="round" />
            </svg>
          </Button>
        </div>

        <div className="space-y-1">
          <h3 className="text-xs font-medium text-muted">Prompt</h3>
          <p className="text-sm leading-relaxed break-words whitespace-pre-wrap">{image.prompt}</p>
        </div>

        <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-2 text-sm">
          <Detail term="Size">
            {input.width} × {input.height}
          </Detail>
          <Detail term="Steps">{input.num_inference_steps}</Detail>
          <Detail term="Guidance">{input.guidance_scale}</Detail>
          <Detail term="Seed">{input.seed ?? <span className="text-muted">Random</span>}</Detail>
          <Detail term="Negative prompt">
            {input.negative_prompt ? input.negative_prompt : <span className="text-muted">None</span>}
          </Detail>
          <Detail term="Model">
            <span className="font-mono text-xs break-all">{image.model}</span>
          </Detail>
          <Detail term="Created">
            <LocalDateTime iso={image.createdAt} options={{ dateStyle: "long", timeStyle: "short" }} />
          </Detail>
        </dl>

        <div className="mt-auto space-y-2 border-t pt-4">
          <div className="flex flex-wrap gap-2">
            <a href={image.url} download className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Download
            </a>
            <Link href={`/dashboard/generate?from=${encodeURIComponent(image.id)}`} className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Use these settings
            </Link>
            {/* Same element in both steps, so keyboard focus stays on it between the two presses. */}
            <Button
              size="sm"
              variant={confirming ? "danger" : "ghost"}
              onClick={() => (confirming ? onDelete() : setConfirming(true))}
              className={confirming ? undefined : "text-danger hover:text-danger"}
            >
              {confirming ? "Confirm delete" : "Delete"}
            </Button>
            {confirming ? (
              <Button size="sm" variant="ghost" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            ) : null}
          </div>
          <p aria-live="polite" className="text-xs text-muted">
            {confirming ? "This deletes the image and its file for good. Press Confirm delete to go ahead." : ""}
          </p>
        </div>
      </div>
    </div>
  );
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-muted">{term}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </>
  );
}
