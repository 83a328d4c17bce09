"use client";

import { useEffect, useRef, useState, type PointerEvent } from "react";
import { RequestError } from "@/components/generate/api-client";
import { uploadInputImage, type InputImage } from "@/components/generate/input-upload";
import { Button } from "@/components/ui/button";

export type MaskCanvasProps = {
  /** The image the mask is painted over (the model's `image` input). */
  base: InputImage;
  mask: InputImage | null;
  onChange: (mask: InputImage | null) => void;
  onBusyChange: (busy: boolean) => void;
};

/** After the last stroke, wait this long before uploading, so a quick series of strokes is one upload. */
const SETTLE_MS = 500;

/**
 * Inpainting's mask, painted with a brush over the chosen image: white where
 * the model repaints, black where it keeps the image. The canvas is the
 * image's own pixel size, so the exported PNG is too; it is thresholded to pure
 * black and white and uploaded like any input once the strokes settle.
 * Keyboard and screen-reader users get the same result by uploading a mask
 * file (the control below the canvas).
 */
export function MaskCanvas({ base, mask, onChange, onBusyChange }: MaskCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [brush, setBrush] = useState(40);
  const [erasing, setErasing] = useState(false);
  const [painted, setPainted] = useState(false);
  const [status, setStatus] = useState<string | null>(null);

  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  function point(event: PointerEvent<HTMLCanvasElement>) {
    const canvas = event.currentTarget;
    const rect = canvas.getBoundingClientRect();
    const scale = canvas.width / rect.width;
    return { x: (event.clientX - rect.left) * scale, y: (event.clientY - rect.top) * scale, scale };
  }

  function stroke(event: PointerEvent<HTMLCanvasElement>) {
    const context = event.currentTarget.getContext("2d");
    if (!context) return;
    const { x, y, scale } = point(event);
    const from = last.current ?? { x, y };
    context.globalCompositeOperation = erasing ? "destination-out" : "source-over";
    context.strokeStyle = "rgb(255, 40, 90)";
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = brush * scale;
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(x, y);
    context.stroke();
    last.current = { x, y };
  }

  function startStroke(event: PointerEvent<HTMLCanvasElement>) {
    event.currentTarget.setPointerCapture(event.pointerId);
    last.current = null;
    stroke(event);
  }

  function endStroke() {
    if (last.current === null) return;
    last.current = null;
    setPainted(true);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void exportMask(), SETTLE_MS);
  }

  async function exportMask() {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const out = document.createElement("canvas");
    out.width = canvas.width;
    out.height = canvas.height;
    const context = out.getContext("2d");
    const painted = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height);
    if (!context || !painted) return;
    // Pure black and white: painted (opaque enough) is white, the rest black.
    const pixels = context.createImageData(out.width, out.height);
    for (let i = 0; i < painted.data.length; i += 4) {
      const value = painted.data[i + 3] > 127 ? 255 : 0;
      pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = value;
      pixels.data[i + 3] = 255;
    }
    context.putImageData(pixels, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, "image/png"));
    if (!blob) return;
    onBusyChange(true);
    setStatus("Saving the mask…");
    try {
      onChange(await uploadInputImage(blob));
      setStatus("Mask saved.");
    } catch (failure) {
      setStatus(failure instanceof RequestError ? failure.failure.message : "The mask could not be saved. Paint again to retry.");
    } finally {
      onBusyChange(false);
    }
  }

  function clear() {
    const canvas = canvasRef.current;
    canvas?.getContext("2d")?.clearRect(0, 0, canvas.width, canvas.height);
    if (timer.current) clearTimeout(timer.current);
    setPainted(false);
    setStatus("Mask cleared.");
    onChange(null);
  }

  return (
    <div className="space-y-2">
      <p className="text-sm font-medium">Paint the mask</p>
      <p className="text-xs text-muted">Paint over what should change. The rest of the image is kept.</p>
      <div className="relative w-full overflow-hidden rounded-lg border bg-surface-strong" style={{ aspectRatio: `${base.width} / ${base.height}` }}>
        {/* eslint-disable-next-line @next/next/no-img-element */}
        <img src={base.url} alt="" className="absolute inset-0 size-full object-fill" />
        <canvas
          // A new base image starts a new, empty mask.
          key={base.id}
          ref={canvasRef}
          width={base.width}
          height={base.height}
          aria-label="Mask canvas: paint with a pointer, or upload a mask file below"
          data-testid="mask-canvas"
          onPointerDown={startStroke}
          onPointerMove={(event) => {
            if (last.current !== null) stroke(event);
          }}
          onPointerUp={endStroke}
          onPointerCancel={endStroke}
          className="absolute inset-0 size-full cursor-crosshair touch-none opacity-60"
        />
      </div>
      <div className="flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-2 text-sm">
          Brush size
          <input type="range" min={4} max={200} value={brush} onChange={(event) => setBrush(Number(event.target.value))} className="w-28" />
          <span className="w-10 font-mono text-xs tabular-nums">{brush}px</span>
        </label>
        <div role="group" aria-label="Brush" className="flex gap-1">
          <Button size="sm" variant={erasing ? "ghost" : "secondary"} aria-pressed={!erasing} onClick={() => setErasing(false)}>
            Paint
          </Button>
          <Button size="sm" variant={erasing ? "secondary" : "ghost"} aria-pressed={erasing} onClick={() => setErasing(true)}>
            Eraser
          </Button>
        </div>
        <Button size="sm" variant="ghost" onClick={clear} disabled={!painted && !mask}>
          Clear
        </Button>
      </div>
      <p role="status" className="text-xs text-muted">
        {status ?? (mask ? "Mask saved." : "")}
      </p>
    </div>
  );
}
