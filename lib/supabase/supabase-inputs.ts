import { AppError } from "@/lib/errors";
import type { InputBackend, InputFileStore, InputRow, InputRowStore } from "@/lib/inputs/ports";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import { postgrestError, storageError, type PostgrestFailure } from "@/lib/supabase/errors";
import { createSupabaseFileStore, IMAGES_BUCKET } from "@/lib/supabase/supabase-files";
import type { ClientSource } from "@/lib/supabase/supabase-rows";

const INPUT_COLUMNS = "id,user_id,storage_path,status,content_type,bytes,width,height,created_at,last_used_at";

type Response = { data: unknown; error: PostgrestFailure | null; status: number };

/**
 * Input images on Supabase: rows through PostgREST, bytes in the same private
 * bucket as outputs (`<user id>/inputs/…`, so the same storage policies apply).
 * The browser uploads straight to Storage with a signed upload URL for the one
 * path the server chose; the app's own request bodies never carry the bytes.
 */
export function createSupabaseInputBackend(source: ClientSource, { bucket = IMAGES_BUCKET } = {}): InputBackend {
  const client = () => (typeof source === "function" ? source() : Promise.resolve(source));
  async function run<R extends Response>(operation: string, query: (db: TypedSupabaseClient) => PromiseLike<R>): Promise<R["data"]> {
    const { data, error, status } = await query(await client());
    if (error) throw postgrestError(error, status, operation);
    return data;
  }

  const rows: InputRowStore = {
    async insertInput(row) {
      return (await run("record input image", (db) => db.from("input_images").insert(row).select(INPUT_COLUMNS).single())) as InputRow;
    },
    async getInputs({ ids, userId }) {
      if (ids.length === 0) return [];
      return (await run("read input images", (db) => db.from("input_images").select(INPUT_COLUMNS).in("id", ids).eq("user_id", userId))) as InputRow[];
    },
    async markReady({ id, userId, contentType, bytes, width, height }) {
      await run("mark input ready", (db) =>
        db.from("input_images").update({ status: "ready", content_type: contentType, bytes, width, height }).eq("id", id).eq("user_id", userId),
      );
    },
    async markUsed({ ids, userId, at }) {
      if (ids.length === 0) return;
      await run("mark inputs used", (db) => db.from("input_images").update({ last_used_at: at }).in("id", ids).eq("user_id", userId));
    },
    async deleteInput({ id, userId }) {
      await run("delete input image", (db) => db.from("input_images").delete().eq("id", id).eq("user_id", userId));
    },
    async recordPredictionInputs({ predictionId, userId, inputs }) {
      if (inputs.length === 0) return;
      const values = inputs.map((input) => ({ prediction_id: predictionId, name: input.name, input_id: input.id, user_id: userId }));
      await run("record prediction inputs", (db) => db.from("prediction_inputs").insert(values));
    },
    async listStaleInputs({ before, limit }) {
      return (await run("list stale inputs", (db) =>
        db
          .from("input_images")
          .select(INPUT_COLUMNS)
          .lt("created_at", before)
          .or(`last_used_at.is.null,last_used_at.lt.${before}`)
          .order("created_at")
          .limit(limit),
      )) as InputRow[];
    },
    async inputsWithImages({ ids }) {
      if (ids.length === 0) return new Set();
      const uses = (await run("list prediction inputs", (db) => db.from("prediction_inputs").select("input_id,prediction_id").in("input_id", ids))) as Array<{
        input_id: string;
        prediction_id: string;
      }>;
      const predictionIds = [...new Set(uses.map((use) => use.prediction_id))];
      if (predictionIds.length === 0) return new Set();
      const saved = (await run("list saved predictions", (db) => db.from("sdxl_images").select("prediction_id").in("prediction_id", predictionIds))) as Array<{
        prediction_id: string;
      }>;
      const withImages = new Set(saved.map((row) => row.prediction_id));
      return new Set(uses.filter((use) => withImages.has(use.prediction_id)).map((use) => use.input_id));
    },
  };

  const outputs = createSupabaseFileStore(source, { bucket });
  const storage = async () => (await client()).storage.from(bucket);
  const files: InputFileStore = {
    async uploadTarget({ path, contentType }) {
      // Valid for two hours and for this one path; upsert off, so a leaked
      // token cannot replace a file once it has been checked.
      const { data, error } = await (await storage()).createSignedUploadUrl(path);
      if (error) throw storageError(error, "sign upload URL");
      return { method: "PUT", url: data.signedUrl, headers: { "content-type": contentType, "x-upsert": "false", "cache-control": "max-age=3600" } };
    },
    async read({ path }) {
      const { data, error } = await (await storage()).download(path);
      if (error) {
        const mapped = storageError(error, "read input image");
        if (mapped instanceof AppError && mapped.code === "not_found") return null;
        throw mapped;
      }
      return data.stream();
    },
    write: ({ path, body, contentType, maxBytes }) => outputs.upload({ path, body, contentType, maxBytes }),
    remove: (args) => outputs.remove(args),
    displayUrls: (args) => outputs.displayUrls(args),
  };
  return { rows, files };
}
