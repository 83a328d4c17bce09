import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { GenerateForm } from "@/components/generate/generate-form";
import { getAppContext, getCurrentUser } from "@/lib/server-context";
import { findImageSettings } from "@/lib/predictions/gallery";
import { saveGeneratedImage } from "./actions";

export const metadata: Metadata = { title: "Generate" };

export default async function GeneratePage({ searchParams }: { searchParams: Promise<{ from?: string }> }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login?next=/dashboard/generate");
  const context = await getAppContext();
  // "Use these settings again" from the gallery links here with ?from=<image id>.
  const { from } = await searchParams;
  const [models, settings] = await Promise.all([
    context.catalog.list(),
    from ? findImageSettings({ user, backend: context.backendFor(user), imageId: from }) : undefined,
  ]);

  return (
    <section aria-labelledby="generate-heading" className="flex flex-col gap-6">
      <h1 id="generate-heading" className="text-2xl font-semibold tracking-tight">
        Generate an image
      </h1>
      <GenerateForm
        models={models}
        initialModelKey={settings?.modelKey ?? undefined}
        initialInput={settings?.input}
        saveImage={saveGeneratedImage}
      />
    </section>
  );
}
