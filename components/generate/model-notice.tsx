import { Notice } from "@/components/ui/notice";

/** Says plainly which model draws the images, because the local one is not SDXL. */
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
        This app is running its built-in preview model, so everything works with no account or key. It draws abstract
        placeholder images from your prompt and seed: it is not Stable Diffusion XL.
      </p>
      <p className="mt-1">
        To generate real images, set <code className="font-mono">REPLICATE_API_TOKEN</code> (for example in{" "}
        <code className="font-mono">.env.local</code>) and restart the server.
      </p>
    </Notice>
  );
}
