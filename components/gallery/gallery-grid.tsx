"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type MouseEvent } from "react";
import { EmptyGallery } from "@/components/gallery/empty-gallery";
import { ImageDialog } from "@/components/gallery/image-dialog";
import { TILE_SIZES, tileSources } from "@/components/gallery/image-urls";
import { Button, buttonClasses } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { LocalDateTime } from "@/components/ui/local-date-time";
import { Notice } from "@/components/ui/notice";
import { useFocusOnMount } from "@/components/ui/use-focus-on-mount";
import type { ActionResult, GalleryImage } from "@/lib/predictions/types";

export type GalleryGridProps = {
  /** Newest first; the grid keeps the order it is given. */
  images: GalleryImage[];
  deleteImage: (imageId: string) => Promise<ActionResult<object>>;
  /**
   * A link to this page showing more images, or null when there are no more. It is a
   * plain link, so paging works before JavaScript loads; after, the new images are
   * appended in place, with focus on the first of them.
   */
  moreHref?: string | null;
};

/**
 * The gallery: a responsive grid of thumbnails, a full-size dialog, "Load more", and
 * delete with an optimistic removal that is undone, with a message, if the server says no.
 *
 * Images are plain <img>: their URLs are authenticated same-origin routes (local mode)
 * or short-lived signed URLs (cloud), which the Next image optimizer cannot fetch.
 */
export function GalleryGrid({ images, deleteImage, moreHref = null }: GalleryGridProps) {
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

  const router = useRouter();
  const [loadingMore, startLoadingMore] = useTransition();
  // How many tiles there were when "Load more" was pressed; the first new one takes focus.
  const countBeforeMore = useRef<number | null>(null);
  const [announcement, setAnnouncement] = useState("");

  useEffect(() => {
    const before = countBeforeMore.current;
    if (before === null || visible.length <= before) return;
    countBeforeMore.current = null;
    tiles.current.get(visible[before].id)?.focus();
    const added = visible.length - before;
    setAnnouncement(`${added} more ${added === 1 ? "image" : "images"} loaded.`);
  }, [visible]);

  function loadMore(event: MouseEvent<HTMLAnchorElement>) {
    // A modified click keeps its usual meaning (new tab, new window).
    if (loadingMore) return event.preventDefault();
    if (!moreHref || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || event.button !== 0) return;
    event.preventDefault();
    countBeforeMore.current = visible.length;
    setAnnouncement("Loading more images…");
    // replace: "Load more" is not a place to go Back to; the URL still reloads to the same list.
    startLoadingMore(() => router.replace(moreHref, { scroll: false }));
  }

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
        <ul role="list" aria-label="Your images" className="grid grid-cols-2 gap-3 sm:gap-4 md:grid-cols-3 xl:grid-cols-4">
          {visible.map((image) => (
            <li key={image.id} className="min-w-0">
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
                className="group flex h-full w-full flex-col overflow-hidden rounded-xl border bg-surface text-left transition-colors hover:border-border-strong"
              >
                <span className="block aspect-square w-full shrink-0 overflow-hidden bg-surface-strong">
                  {/* The prompt beside it names the tile; repeating it as alt text would read it twice. */}
                  {/* eslint-disable-next-line @next/next/no-img-element */}
                  <img
                    {...tileSources(image)}
                    sizes={TILE_SIZES}
                    alt=""
                    width={image.width}
                    height={image.height}
                    loading="lazy"
                    decoding="async"
                    className="size-full object-cover transition-transform duration-300 group-hover:scale-[1.02]"
                  />
                </span>
                <span className="flex flex-1 flex-col justify-between gap-1 p-2.5 sm:p-3">
                  <span className="line-clamp-2 text-sm leading-snug break-words">{image.prompt}</span>
                  <LocalDateTime iso={image.createdAt} className="block text-xs text-muted" />
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}

      {moreHref && visible.length > 0 ? (
        <div className="flex justify-center pt-2">
          <a
            href={moreHref}
            onClick={loadMore}
            aria-disabled={loadingMore || undefined}
            className={buttonClasses({ variant: "secondary", className: "min-w-40" })}
          >
            {loadingMore ? <Spinner /> : null}
            {loadingMore ? "Loading…" : "Load more"}
          </a>
        </div>
      ) : null}
      <p role="status" className="sr-only">
        {announcement}
      </p>

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
