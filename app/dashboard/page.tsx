import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { EmptyGallery } from "@/components/gallery/empty-gallery";
import { GalleryGrid } from "@/components/gallery/gallery-grid";
import { AppLink } from "@/components/ui/app-link";
import { buttonClasses } from "@/components/ui/button";
import { decodeCursor, encodeCursor, GALLERY_PAGE_SIZE, listGallery } from "@/lib/predictions/gallery";
import { getAppContext, getCurrentUser } from "@/lib/server-context";
import { deleteImage } from "./actions";

export const metadata: Metadata = { title: "Gallery" };

/**
 * "Load more" grows `show` a page at a time, up to this many tiles on one page; past
 * that, "Older images" opens the next window (`cursor`), so one page never lists and
 * signs an unbounded number of images.
 */
const MAX_SHOWN = GALLERY_PAGE_SIZE * 4;

/** What the URL may hold: a repeated parameter comes as an array. */
type GallerySearchParams = { cursor?: string | string[]; show?: string | string[] };

export default async function GalleryPage({ searchParams }: { searchParams: Promise<GallerySearchParams> }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login?next=/dashboard");
  const context = await getAppContext();
  const params = await searchParams;
  const cursor = readableCursor(params.cursor);
  const shown = shownCount(single(params.show));
  const { images, nextCursor } = await listGallery({
    user,
    backend: context.backendFor(user),
    cursor,
    limit: shown,
    inputs: context.inputsFor(user),
  });

  const cursorParam = cursor ? encodeCursor(cursor) : undefined;
  const moreHref = nextCursor && shown < MAX_SHOWN ? galleryHref({ cursor: cursorParam, show: shown + GALLERY_PAGE_SIZE }) : null;
  const olderHref = nextCursor && shown >= MAX_SHOWN ? galleryHref({ cursor: nextCursor }) : null;

  return (
    <section aria-labelledby="gallery-heading" className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 id="gallery-heading" className="text-2xl font-semibold tracking-tight">
            {cursor ? "Older images" : "Your images"}
          </h1>
          {cursor ? (
            <p className="text-sm">
              <AppLink href="/dashboard" className="font-medium text-accent underline underline-offset-4">
                ← Back to the newest
              </AppLink>
            </p>
          ) : null}
        </div>
        {images.length > 0 || cursor ? (
          <AppLink href="/dashboard/generate" className={buttonClasses()}>
            Generate an image
          </AppLink>
        ) : null}
      </div>
      {images.length === 0 && !cursor ? (
        <EmptyGallery />
      ) : (
        <GalleryGrid key={cursorParam ?? "first"} images={images} deleteImage={deleteImage} moreHref={moreHref} />
      )}
      {olderHref ? (
        <nav aria-label="Gallery pages" className="flex justify-center">
          <AppLink href={olderHref} className={buttonClasses({ variant: "secondary" })}>
            Older images →
          </AppLink>
        </nav>
      ) : null}
    </section>
  );
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * The cursor, only if its time is one that exists: decodeCursor checks the
 * shape, but "2026-13-45T99:99:99Z" has the shape too, and the database would
 * refuse it with an error, making the page a 500. Anything else means "first
 * page", as decodeCursor documents.
 */
function readableCursor(value: string | string[] | undefined) {
  const cursor = decodeCursor(single(value));
  if (!cursor) return undefined;
  const time = Date.parse(cursor.created_at);
  // The round trip catches what Date.parse rolls over (Feb 30 → Mar 2) and years Postgres has no 0 for.
  const exists = Number.isFinite(time) && time > Date.UTC(1, 0, 1) && new Date(time).toISOString().slice(0, 19) === cursor.created_at.slice(0, 19);
  return exists ? cursor : undefined;
}

/** A whole number of pages, at least one and at most MAX_SHOWN; anything unreadable is one page. */
function shownCount(value: string | undefined): number {
  const requested = Number.parseInt(value ?? "", 10);
  if (!Number.isFinite(requested)) return GALLERY_PAGE_SIZE;
  const pages = Math.ceil(requested / GALLERY_PAGE_SIZE);
  return Math.min(MAX_SHOWN, Math.max(1, pages) * GALLERY_PAGE_SIZE);
}

function galleryHref({ cursor, show }: { cursor?: string; show?: number }): string {
  const query = new URLSearchParams();
  if (cursor) query.set("cursor", cursor);
  if (show) query.set("show", String(show));
  const search = query.toString();
  return search ? `/dashboard?${search}` : "/dashboard";
}
