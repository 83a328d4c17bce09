import { Notice } from "@/components/ui/notice";

/** Says plainly which model draws the images, because the local one is not a real image model. */
export function ModelNotice({ modelName, isLocalPreview }: { modelName: string; isLocalPreview: boolean }) {
  if (!isLocalPreview) {
    return (
      <p className="text-xs text-muted">
        Model: <span className="font-mono break-all text-foreground">{modelName}</span>
      </p>
    );
  }
  return (
    <Notice tone="info" title="Local preview model" role="note" aria-label="Local preview model">
      <p>
        Images are abstract placeholders drawn from your prompt and seed, so everything works offline. It is not a
        real image model: set <code className="font-mono text-[0.85em]">REPLICATE_API_TOKEN</code> and restart to
        generate real images.
      </p>
    </Notice>
  );
}
