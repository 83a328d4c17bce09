import "server-only";
import type { PGlite } from "@electric-sql/pglite";
import { withIdentity } from "@/lib/local/database";
import type { SchemaStore } from "@/lib/models/model-catalog";

/** Model schemas kept in the embedded database, as the service role (the tables have no policies for people). */
export function createLocalSchemaStore(db: PGlite): SchemaStore {
  const service = <T>(fn: Parameters<typeof withIdentity<T>>[2]) => withIdentity(db, { kind: "service" }, fn);
  return {
    readVersion: (ref) =>
      service(async (tx) => {
        const { rows } = await tx.query<{ openapi_schema: unknown }>("select openapi_schema from public.model_versions where ref = $1", [ref]);
        return rows[0]?.openapi_schema ?? null;
      }),
    writeVersion: (ref, schema) =>
      service(async (tx) => {
        await tx.query("insert into public.model_versions (ref, openapi_schema) values ($1, $2::jsonb) on conflict (ref) do nothing", [
          ref,
          JSON.stringify(schema),
        ]);
      }),
    readAlias: (key) =>
      service(async (tx) => {
        const { rows } = await tx.query<{ model: string; version: string }>("select model, version from public.model_aliases where key = $1", [key]);
        return rows[0] ?? null;
      }),
    writeAlias: (key, { model, version }) =>
      service(async (tx) => {
        await tx.query(
          `insert into public.model_aliases (key, model, version) values ($1, $2, $3)
           on conflict (key) do update set model = excluded.model, version = excluded.version, checked_at = now()`,
          [key, model, version],
        );
      }),
  };
}
