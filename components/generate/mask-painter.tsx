"use client";

import { lazy, Suspense } from "react";
import { ImageInputControl, type GalleryChoice } from "@/components/generate/image-input-control";
import type { InputImage } from "@/components/generate/input-upload";
import type { InputField } from "@/lib/models/input-fields";

export type MaskPainterProps = {
  field: InputField;
  id: string;
  /** The image the mask is painted over (the model's `image` input), when one is chosen. */
  base: InputImage | null;
  mask: InputImage | null;
  error?: string;
  gallery: readonly GalleryChoice[];
  onChange: (mask: InputImage | null) => void;
  onBusyChange: (busy: boolean) => void;
};

// Painting needs an image to paint over: until one is chosen the brush and its
// canvas code stay on the server, and a first visit does not download them.
const MaskCanvas = lazy(() => import("@/components/generate/mask-canvas").then((module) => ({ default: module.MaskCanvas })));

/**
 * Inpainting's mask: painted with a brush over the chosen image
 * (mask-canvas.tsx), or uploaded as a file, which is also how keyboard and
 * screen-reader users give one.
 */
export function MaskPainter({ field, id, base, mask, error, gallery, onChange, onBusyChange }: MaskPainterProps) {
  return (
    <div className="space-y-3">
      {base ? (
        <Suspense fallback={<MaskCanvasPlaceholder base={base} />}>
          <MaskCanvas base={base} mask={mask} onChange={onChange} onBusyChange={onBusyChange} />
        </Suspense>
      ) : (
        <p className="text-sm text-muted">Choose an image to paint a mask over it, or upload a mask file.</p>
      )}
      <ImageInputControl
        field={field}
        id={id}
        image={mask}
        error={error}
        gallery={gallery}
        onChange={onChange}
        onBusyChange={onBusyChange}
        label={`${field.title} file`}
        compact
      />
    </div>
  );
}

/** The painter's shape while its code loads: the same headings and image, so nothing below moves. */
function MaskCanvasPlaceholder({ base }: { base: InputImage }) {
  return (
    <div className="space-y-2" aria-busy="true">
      <p className="text-sm font-medium">Paint the mask</p>
      <p className="text-xs text-muted">Loading the brush…</p>
      <div className="relative w-full overflow-hidden rounded-lg border bg-surface-strong" style={{ aspectRatio: `${base.width} / ${base.height}` }}>
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={base.url} alt="" className="absolute inset-0 size-full object-fill" />
      </div>
      {/* The brush controls' row and the status line. */}
      <div className="h-12" />
    </div>
  );
}
