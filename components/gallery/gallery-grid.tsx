"use client";

import { useRef, useState } from "react";
import { EmptyGallery } from "@/components/gallery/empty-gallery";
import { ImageDialog } from "@/components/gallery/image-dialog";
import { Button } from "@/components/ui/button";
import { LocalDateTime } from "@/components/ui/local-date-time";
import { Notice } from "@/components/ui/notice";
import { useFocusOnMount } from "@/components/ui/use-focus-on-mount";
import type { ActionResult, GalleryImage } from "@/lib/predictions/types";

export type GalleryGridProps = {
  /** Newest first; the grid keeps the order it is given. */
  images: GalleryImage[];
  deleteImage: (imageId: string) => Promise<ActionResult<object>>;
};

/**
 * The gallery: a responsive grid of tiles, a full-size dialog, and delete with an
 * optimistic removal that is undone, with a message, if the server says no.
 *
 * Images are plain <img>: their URLs are authenticated same-origin routes (local mode)
 * or short-lived signed URLs (cloud), which the Next image optimizer cannot fetch.
 */
export function GalleryGrid({ images, deleteImage }: GalleryGridProps) {
  // Ids hidden while their delete is in flight (or done, until the server's new list arrives).
  const [removed, setRemoved] = useState<ReadonlySet<string>>(() => new Set());
  const [openId, setOpenId] = useState<string | null>(null);
  const [failure, setFailure] = useState<{ key: number; message: string } | null>(null);
  const tiles = useRef(new Map<string, HTMLButtonElement>());
  const containerRef = useRef<HTMLDivElement>(null);
  // Where focus goes once the dialog has closed: the tile it came from, or its neighbour after a delete.
  const returnFocusTo = useRef<string | null>(null);

  const visible = images.filter((image) => !removed.has(image.id));
  const openImage = visible.find((image) => image.id === openId) ?? null;

  function open(id: string) {
    returnFocusTo.current = id;
    setOpenId(id);
  }

  function handleClosed() {
    setOpenId(null);
    const target = returnFocusTo.current ? tiles.current.get(returnFocusTo.current) : null;
    (target ?? containerRef.current)?.focus();
  }

  function setHidden(id: string, hidden: boolean) {
    setRemoved((current) => {
      const next = new Set(current);
      if (hidden) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  async function remove(image: GalleryImage) {
    const index = visible.findIndex((candidate) => candidate.id === image.id);
    returnFocusTo.current = (visible[index + 1] ?? visible[index - 1])?.id ?? null;
    setFailure(null);
    setHidden(image.id, true);

    let message: string | null = null;
    try {
      const result = await deleteImage(image.id);
      if (!result.ok) message = result.error.message;
    } catch {
      message = "Check your connection and try again.";
    }
    if (message !== null) {
      setHidden(image.id, false);
      setFailure((current) => ({ key: (current?.key ?? 0) + 1, message }));
    }
  }

  return (
    <div ref={containerRef} tabIndex={-1} className="space-y-4 outline-none">
      {failure ? (
        <DeleteFailure key={failure.key} message={failure.message} onDismiss={() => setFailure(null)} />
      ) : null}

      {visible.length === 0 ? (
        <EmptyGallery />
      ) : (
        <ul role="list" aria-label="Your images" className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
          {visible.map((image) => (
            <li key={image.id}>
              <button
                type="button"
                aria-haspopup="dialog"
                ref={(element) => {
                  if (!element) return;
                  tiles.current.set(image.id, element);
                  return () => {
                    tiles.current.delete(image.id);
                  };
                }}
                onClick={() => open(image.id)}
                className="group block w-full overflow-hidden rounded-xl border bg-surface text-left transition-colors hover:border-border-strong"
              >
                <span className="block aspect-square overflow-hidden bg-surface-strong">
                  {/* The prompt beside it names the tile; repeating it as alt text would read it twice. */}
                  {/* eslint-disable-next-line @next/next/no-img-element */}
                  <img
                    src={image.url}
                    alt=""
                    width={image.width}
                    height={image.height}
                    loading="lazy"
                    decoding="async"
                    className="size-full object-cover transition-transform duration-300 group-hover:scale-[1.02]"
                  />
                </span>
                <span className="block space-y-1 p-3">
                  <span className="line-clamp-2 text-sm leading-snug">{image.prompt}</span>
                  <LocalDateTime iso={image.createdAt} className="block text-xs text-muted" />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}

      <ImageDialog image={openImage} onClosed={handleClosed} onDelete={remove} />
    </div>
  );
}

function DeleteFailure({ message, onDismiss }: { message: string; onDismiss: () => void }) {
  const ref = useFocusOnMount<HTMLDivElement>();
  return (
    <Notice ref={ref} tabIndex={-1} role="alert" tone="error" title="The image could not be deleted. It is back in your gallery.">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <span>{message}</span>
        <Button size="sm" variant="ghost" onClick={onDismiss}>
          Dismiss
        </Button>
      </div>
    </Notice>
  );
}
