import { RequestError } from "@/components/generate/api-client";

/** An uploaded, checked input image as the server describes it (lib/inputs/input-images.ts InputImageView). */
export type InputImage = { ref: string; id: string; url: string; contentType: string; bytes: number; width: number; height: number };

type Upload = { method: string; url: string; headers: Record<string, string> };

/**
 * Uploads a file as an input image in three steps: ask the server where to
 * send it (it chooses the path), send the bytes there (Supabase Storage with a
 * signed upload URL, or the app's streaming route in local mode), then ask the
 * server to check what arrived. Any refusal comes back as a RequestError with
 * the server's own words.
 */
export async function uploadInputImage(file: Blob): Promise<InputImage> {
  const started = await call<{ id: string; upload: Upload }>("/api/inputs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contentType: file.type || "application/octet-stream", bytes: file.size }),
  });
  // A PUT to Storage answers in Storage's own error shape: only the status matters here.
  const sent = await fetch(started.upload.url, { method: started.upload.method, headers: started.upload.headers, body: file }).catch(() => null);
  if (!sent) throw new RequestError({ status: null, code: "network", message: "The upload was interrupted. Check your connection and try again." });
  if (!sent.ok && started.upload.url.startsWith("/")) throw new RequestError(await failureOf(sent));
  return call<InputImage>(`/api/inputs/${started.id}/complete`, { method: "POST" });
}

/** One of the person's gallery images, copied on the server as a new input. */
export function inputFromGalleryImage(imageId: string): Promise<InputImage> {
  return call<InputImage>("/api/inputs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fromImage: imageId }) });
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, headers: { accept: "application/json", ...init.headers } }).catch(() => null);
  if (!response) throw new RequestError({ status: null, code: "network", message: "Could not reach the server. Check your connection and try again." });
  if (!response.ok) throw new RequestError(await failureOf(response));
  return (await response.json()) as T;
}

async function failureOf(response: Response) {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return {
    status: response.status,
    code: body?.error?.code ?? `http_${response.status}`,
    message: body?.error?.message ?? `The upload failed (HTTP ${response.status}). Please try again.`,
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
