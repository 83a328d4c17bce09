"use client";

import { useId, useRef, useState, type ClipboardEvent, type DragEvent } from "react";
import { RequestError } from "@/components/generate/api-client";
import { formatBytes, inputFromGalleryImage, uploadInputImage, type InputImage } from "@/components/generate/input-upload";
import { Button } from "@/components/ui/button";
import { cx } from "@/components/ui/class-names";
import type { InputField } from "@/lib/models/input-fields";

/** One of the person's gallery images the picker offers. */
export type GalleryChoice = { id: string; url: string; prompt: string };

export type ImageInputControlProps = {
  field: InputField;
  /** The id an error summary links to: the "Choose a file" button. */
  id: string;
  image: InputImage | null;
  error?: string;
  gallery: readonly GalleryChoice[];
  onChange: (image: InputImage | null) => void;
  onBusyChange: (busy: boolean) => void;
  /** Shown instead of the field's title (the mask's file fallback). */
  label?: string;
  compact?: boolean;
};

const ACCEPT = "image/png,image/jpeg,image/webp";

/**
 * A `format: uri` input: choose a file (button, drag and drop, paste) or one of
 * the person's gallery images. The file goes to the server's upload flow at
 * once, and the form keeps only the `input:<id>` reference it answers with,
 * with a preview, the file's size and its pixel size, and a way to remove it.
 */
export function ImageInputControl({ field, id, image, error, gallery, onChange, onBusyChange, label, compact = false }: ImageInputControlProps) {
  const fileRef = useRef<HTMLInputElement>(null);
  const hintId = useId();
  const statusId = useId();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [picking, setPicking] = useState(false);
  const message = problem ?? error ?? null;

  async function run(task: () => Promise<InputImage>) {
    setBusy(true);
    onBusyChange(true);
    setProblem(null);
    try {
      onChange(await task());
      setPicking(false);
    } catch (failure) {
      setProblem(failure instanceof RequestError ? failure.failure.message : "The image could not be uploaded. Please try again.");
    } finally {
      setBusy(false);
      onBusyChange(false);
    }
  }

  const take = (file: File | null | undefined) => {
    if (file) void run(() => uploadInputImage(file));
  };

  function drop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    take(event.dataTransfer.files[0]);
  }

  function paste(event: ClipboardEvent<HTMLDivElement>) {
    const file = [...event.clipboardData.files].find((candidate) => candidate.type.startsWith("image/"));
    if (!file) return;
    event.preventDefault();
    take(file);
  }

  return (
    <fieldset className="min-w-0 space-y-2" aria-describedby={[hintId, message ? `${id}-error` : null].filter(Boolean).join(" ")}>
      <legend className="text-sm font-medium text-foreground">
        {label ?? field.title}
        {field.required ? null : <span className="font-normal text-muted">{" (optional)"}</span>}
      </legend>
      <div
        role="group"
        aria-label={`${label ?? field.title}: drop or paste an image here`}
        tabIndex={0}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
        onPaste={paste}
        data-testid={`image-input-${field.name}`}
        className={cx(
          "rounded-xl border border-dashed p-3 outline-none focus-visible:ring-2 focus-visible:ring-accent",
          dragging ? "border-accent bg-surface-strong" : message ? "border-danger" : "border-border-strong",
        )}
      >
        {image ? (
          <div className="flex items-center gap-3">
            {/* Authenticated or signed URL: a plain img, as in the gallery. */}
            {/* eslint-disable-next-line @next/next/no-img-element */}
            <img src={image.url} alt={`${label ?? field.title} preview`} className="size-20 shrink-0 rounded-md border bg-surface-strong object-cover" />
            <div className="min-w-0 flex-1 text-sm">
              <p className="font-medium">Image chosen</p>
              <p className="text-muted" data-testid={`image-input-${field.name}-details`}>
                {formatBytes(image.bytes)} · {image.width} × {image.height} px
              </p>
            </div>
            <Button size="sm" variant="ghost" onClick={() => onChange(null)} disabled={busy} aria-label={`Remove ${label ?? field.title}`}>
              Remove
            </Button>
          </div>
        ) : (
          <p className={cx("text-sm text-muted", compact ? "" : "py-2")}>
            {busy ? "Uploading…" : "Drop an image here, paste one, or choose a file."}
          </p>
        )}
        <div className="mt-2 flex flex-wrap gap-2">
          <Button id={id} size="sm" variant="secondary" onClick={() => fileRef.current?.click()} disabled={busy}>
            {image ? "Replace file…" : "Choose a file…"}
          </Button>
          {gallery.length > 0 && !compact ? (
            <Button size="sm" variant="ghost" aria-expanded={picking} onClick={() => setPicking((open) => !open)} disabled={busy}>
              From your gallery
            </Button>
          ) : null}
        </div>
        <input
          ref={fileRef}
          type="file"
          accept={ACCEPT}
          className="sr-only"
          tabIndex={-1}
          aria-label={`${label ?? field.title} file`}
          onChange={(event) => {
            take(event.target.files?.[0]);
            event.target.value = "";
          }}
        />
        {picking ? (
          <ul aria-label="Your images" className="mt-3 grid max-h-64 grid-cols-4 gap-2 overflow-y-auto">
            {gallery.map((choice) => (
              <li key={choice.id}>
                <button
                  type="button"
                  onClick={() => void run(() => inputFromGalleryImage(choice.id))}
                  className="block w-full overflow-hidden rounded-md border hover:border-border-strong focus-visible:ring-2 focus-visible:ring-accent"
                >
                  {/* eslint-disable-next-line @next/next/no-img-element */}
                  <img src={choice.url} alt={`Use as input: ${choice.prompt}`} className="aspect-square w-full object-cover" loading="lazy" />
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <p id={hintId} className="text-xs text-muted">
        {field.description ?? "PNG, JPEG or WebP."}
      </p>
      <p id={statusId} role="status" className="sr-only">
        {busy ? "Uploading the image…" : image ? `Image chosen: ${image.width} by ${image.height} pixels.` : ""}
      </p>
      {message ? (
        <p id={`${id}-error`} role="alert" className="text-sm text-danger">
          {message}
        </p>
      ) : null}
    </fieldset>
  );
}
