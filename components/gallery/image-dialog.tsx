"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { tileSources } from "@/components/gallery/image-urls";
import { AppLink } from "@/components/ui/app-link";
import { Button, buttonClasses } from "@/components/ui/button";
import { CopyButton } from "@/components/ui/copy-button";
import { LocalDateTime } from "@/components/ui/local-date-time";
import { inputIdOf } from "@/lib/inputs/input-ref";
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
    <div className="grid md:max-h-[calc(100dvh-1.5rem)] md:grid-cols-[minmax(0,1fr)_24rem] md:grid-rows-[auto_minmax(0,1fr)]">
      {/* First in the DOM (title, then Close) and, on a phone, stuck to the top while the dialog scrolls. */}
      <div className="sticky top-0 z-10 flex items-center justify-between gap-3 border-b bg-background px-4 py-2 md:static md:col-start-2 md:row-start-1 md:border-0 md:px-5 md:pt-4 md:pb-0">
        <h2 id={titleId} className="text-base font-semibold">
          Image details
        </h2>
        <Button variant="ghost" size="sm" onClick={onClose} aria-label="Close" className="-mr-2 px-2">
          <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.6">
            <path d="m4 4 8 8M12 4l-8 8" strokeLinecap="round" />
          </svg>
        </Button>
      </div>

      <div className="flex items-center justify-center bg-surface-strong p-3 md:col-start-1 md:row-span-2 md:row-start-1 md:min-h-0">
        {/* Authenticated or signed URL: plain img, see gallery-grid.tsx. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img
          src={image.url}
          alt={image.prompt}
          width={image.width}
          height={image.height}
          // The tile's thumbnail (already cached) stands in until the full image has loaded;
          // then it goes, so it never shows through an image with transparency.
          style={{ backgroundImage: `url("${tileSources(image).src}")`, backgroundSize: "cover" }}
          onLoad={(event) => {
            event.currentTarget.style.backgroundImage = "none";
          }}
          className="h-auto max-h-[60dvh] w-auto max-w-full rounded-md object-contain md:max-h-[calc(100dvh-3rem)]"
        />
      </div>

      <div className="flex flex-col gap-5 p-4 md:col-start-2 md:row-start-2 md:min-h-0 md:overflow-y-auto md:p-5">
        <div className="space-y-1.5">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h3 className="text-xs font-medium text-muted">Prompt</h3>
            <CopyButton text={image.prompt} label="Copy prompt" copiedMessage="Prompt copied" variant="ghost" className="-my-1.5" />
          </div>
          <p className="text-sm leading-relaxed break-words whitespace-pre-wrap">{image.prompt}</p>
        </div>

        <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-2 text-sm">
          <Detail term="Model">{image.modelName}</Detail>
          <Detail term="Size">
            {image.width} × {image.height}
          </Detail>
          {image.seed !== null ? <Detail term="Seed">{image.seed}</Detail> : null}
          {otherSettings(input).map(([name, value]) => (
            <Detail key={name} term={humanise(name)}>
              {inputIdOf(value) !== null ? (
                <InputPreview name={humanise(name)} image={image.inputImages?.[name]} />
              ) : value === "" ? (
                <span className="text-muted">None</span>
              ) : typeof value === "boolean" ? (
                value ? "On" : "Off"
              ) : (
                String(value)
              )}
            </Detail>
          ))}
          <Detail term="Created">
            <LocalDateTime iso={image.createdAt} options={{ dateStyle: "long", timeStyle: "short" }} />
          </Detail>
        </dl>

        <div className="mt-auto space-y-2 border-t pt-4">
          <div className="flex flex-wrap gap-2">
            <a
              // Named by the server (Content-Disposition), which also works for a signed URL on another origin.
              href={image.downloadUrl}
              download
              className={buttonClasses({ variant: "secondary", size: "sm" })}
            >
              <DownloadIcon />
              Download
            </a>
            <AppLink href={`/dashboard/generate?from=${encodeURIComponent(image.id)}`} className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Use these settings again
            </AppLink>
            <AppLink href={`/dashboard/generate?input=${encodeURIComponent(image.id)}`} className={buttonClasses({ variant: "secondary", size: "sm" })}>
              Use as input
            </AppLink>
            {/* Same element in both steps, so keyboard focus stays on it between the two presses. */}
            <Button
              size="sm"
              variant={confirming ? "danger" : "danger-ghost"}
              onClick={() => (confirming ? onDelete() : setConfirming(true))}
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

/** An input image the picture was made from; its file may have been cleaned up since. */
function InputPreview({ name, image }: { name: string; image?: { url: string; width: number; height: number } }) {
  if (!image) return <span className="text-muted">An uploaded image (no longer kept)</span>;
  return (
    <span className="flex items-center gap-2">
      {/* eslint-disable-next-line @next/next/no-img-element */}
      <img src={image.url} alt={`${name} used for this image`} className="size-14 rounded border object-cover" />
      <span className="text-muted">
        {image.width} × {image.height}
      </span>
    </span>
  );
}

function DownloadIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3.5" fill="none" stroke="currentColor" strokeWidth="1.5">
      <path d="M8 2.5v7.5m0 0L5 7m3 3 3-3M3 12.5h10" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** The input as sent, apart from what is shown on its own (prompt, seed) and the size the file really has. */
function otherSettings(input: GalleryImage["input"]): [string, string | number | boolean][] {
  const shown = new Set(["prompt", "seed", "width", "height"]);
  return Object.entries(input).filter(([name]) => !shown.has(name));
}

/** "num_inference_steps" → "Num inference steps": the gallery has the input, not the model's titles. */
function humanise(name: string): string {
  return name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-muted">{term}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </>
  );
}
