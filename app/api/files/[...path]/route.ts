import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/with-user";

/**
 * Local mode's stand-in for Supabase Storage's authenticated download: the file
 * is served only if the storage policies let this person read its row.
 */
export const GET = withUser<{ path: string[] }>(async ({ user, context, params }) => {
  const path = params.path.join("/");
  const file = await context.openFile?.(user, path);
  if (!file) throw new AppError("not_found", "File not found.");
  const name = path.split("/").at(-1) ?? "image";
  return new Response(file.body, {
    headers: {
      "content-type": file.contentType,
      "content-length": String(file.bytes),
      // Saved images never change under their path: cache them, but only for this person.
      "cache-control": "private, max-age=31536000, immutable",
      "content-disposition": `inline; filename="${name}"`,
      "x-content-type-options": "nosniff",
    },
  });
});
