import "server-only";
import type { Json } from "@/lib/supabase/database.types";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import type { SchemaStore } from "@/lib/models/model-catalog";

/** Model schemas kept in the project's database, through the service role (the tables have no policies for people). */
export function createSupabaseSchemaStore(admin: TypedSupabaseClient): SchemaStore {
  return {
    async readVersion(ref) {
      const { data, error } = await admin.from("model_versions").select("openapi_schema").eq("ref", ref).maybeSingle();
      if (error) throw new Error(`Could not read the schema of ${ref}: ${error.message}`);
      return data?.openapi_schema ?? null;
    },
    async writeVersion(ref, schema) {
      const { error } = await admin
        .from("model_versions")
        .upsert({ ref, openapi_schema: schema as Json }, { onConflict: "ref", ignoreDuplicates: true });
      if (error) throw new Error(`Could not keep the schema of ${ref}: ${error.message}`);
    },
    async readAlias(key) {
      const { data, error } = await admin.from("model_aliases").select("model,version").eq("key", key).maybeSingle();
      if (error) throw new Error(`Could not read the version of ${key}: ${error.message}`);
      return data ?? null;
    },
    async writeAlias(key, { model, version }) {
      const { error } = await admin
        .from("model_aliases")
        .upsert({ key, model, version, checked_at: new Date().toISOString() }, { onConflict: "key" });
      if (error) throw new Error(`Could not keep the version of ${key}: ${error.message}`);
    },
  };
}
