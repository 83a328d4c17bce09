import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { GenerateForm } from "@/components/generate/generate-form";
import { inputFromGalleryImage, inputViewsOf, type InputImageView } from "@/lib/inputs/input-images";
import { getAppContext, getCurrentUser } from "@/lib/server-context";
import { findImageSettings, listGallery } from "@/lib/predictions/gallery";
import type { InputValues, ModelOption } from "@/lib/models/input-fields";
import { saveGeneratedImage } from "./actions";

export const metadata: Metadata = { title: "Generate" };

type GenerateSearchParams = { from?: string; input?: string };

export default async function GeneratePage({ searchParams }: { searchParams: Promise<GenerateSearchParams> }) {
  const user = await getCurrentUser();
  if (!user) redirect("/login?next=/dashboard/generate");
  const context = await getAppContext();
  const backend = context.backendFor(user);
  const inputs = context.inputsFor(user);
  // "Use these settings again" links here with ?from=<image id>; "Use as input" with ?input=<image id>.
  const { from, input: asInput } = await searchParams;
  const [models, settings, gallery] = await Promise.all([
    context.catalog.list(),
    from ? findImageSettings({ user, backend, imageId: from }) : undefined,
    listGallery({ user, backend, limit: 24 }),
  ]);

  let initialInput: InputValues | undefined = settings?.input;
  const views: InputImageView[] = settings ? Object.values(await inputViewsOf({ user, inputs, input: settings.input })) : [];
  const modelKey = settings?.modelKey ?? undefined;
  if (asInput) {
    // A copy made now: the gallery image may be deleted later, the input stays with what used it.
    const field = imageFieldOf(models, modelKey);
    const view = field
      ? await inputFromGalleryImage({ user, backend, inputs, imageId: asInput, limits: context.env.inputs }).catch(() => null)
      : null;
    if (field && view) {
      initialInput = { ...initialInput, [field]: view.ref };
      views.push(view);
    }
  }

  return (
    <section aria-labelledby="generate-heading" className="flex flex-col gap-6">
      <h1 id="generate-heading" className="text-2xl font-semibold tracking-tight">
        Generate an image
      </h1>
      <GenerateForm
        models={models}
        initialModelKey={modelKey}
        initialInput={initialInput}
        initialInputImages={Object.fromEntries(views.map((view) => [view.ref, view]))}
        gallery={gallery.images.map((image) => ({ id: image.id, url: image.url, prompt: image.prompt }))}
        saveImage={saveGeneratedImage}
      />
    </section>
  );
}

/** The image input of the model the form starts on: `image` when it has one, else its first. */
function imageFieldOf(models: ModelOption[], key: string | undefined): string | null {
  const model = models.find((option) => option.key === key && option.available) ?? models.find((option) => option.available);
  const fields = model?.fields.filter((field) => field.kind === "image" && field.name !== "mask") ?? [];
  return (fields.find((field) => field.name === "image") ?? fields[0])?.name ?? null;
}
