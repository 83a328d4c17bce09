import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { EmptyGallery } from "@/components/gallery/empty-gallery";
import { GalleryGrid } from "@/components/gallery/gallery-grid";
import { decodeCursor, listGallery } from "@/lib/predictions/gallery";
import { getAppContext, getCurrentUser } from "@/lib/server-context";
import { deleteImage } from "./actions";

export const metadata: Metadata = { title: "Gallery" };

export default async function GalleryPage({ searchParams }: { searchParams: Promise<{ cursor?: string }> }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login?next=/dashboard");
  const context = await getAppContext();
  const cursor = decodeCursor((await searchParams).cursor);
  const { images, nextCursor } = await listGallery({ user, backend: context.backendFor(user), cursor });

  return (
    <section aria-labelledby="gallery-heading" className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 id="gallery-heading" className="text-2xl font-semibold tracking-tight">
          Your images
        </h1>
        <Link
          href="/dashboard/generate"
          className="rounded-lg bg-[var(--accent)] px-4 py-2 text-sm font-medium text-[var(--accent-foreground)]"
        >
          Generate an image
        </Link>
      </div>
      {images.length === 0 && !cursor ? (
        <EmptyGallery />
      ) : (
        <GalleryGrid key={cursor ? `${cursor.created_at}_${cursor.id}` : "first"} images={images} deleteImage={deleteImage} />
      )}
      <nav aria-label="Gallery pages" className="flex justify-between gap-3 text-sm">
        {cursor ? <Link href="/dashboard">← Newest</Link> : <span />}
        {nextCursor ? <Link href={`/dashboard?cursor=${encodeURIComponent(nextCursor)}`}>Older →</Link> : null}
      </nav>
    </section>
  );
}
