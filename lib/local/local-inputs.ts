import "server-only";

import type { PGlite } from "@electric-sql/pglite";
import type { DbIdentity } from "@/lib/local/database";
import { identityRunners } from "@/lib/local/identity-runners";
import type { InputRow, InputRowStore } from "@/lib/inputs/ports";

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${column}`;
const INPUT_COLUMNS = `id, user_id, storage_path, status, content_type, bytes, width, height, ${iso("created_at")}, ${iso("last_used_at")}`;

/** InputRowStore on the embedded database, under `identity`, so the migration's row-level security applies. */
export function createLocalInputRowStore({ db, identity }: { db: PGlite; identity: DbIdentity }): InputRowStore {
  const { run, runOne } = identityRunners(db, identity);

  return {
    insertInput: (row) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<InputRow>(
          `insert into public.input_images (id, user_id, storage_path, content_type) values ($1, $2, $3, $4) returning ${INPUT_COLUMNS}`,
          [row.id, row.user_id, row.storage_path, row.content_type],
        );
        return rows[0];
      }),

    getInputs: ({ ids, userId }) =>
      ids.length === 0
        ? Promise.resolve([])
        : runOne(async (tx) => {
            const { rows } = await tx.query<InputRow>(
              `select ${INPUT_COLUMNS} from public.input_images where id = any($1::uuid[]) and user_id = $2`,
              [ids, userId],
            );
            return rows;
          }),

    markReady: ({ id, userId, contentType, bytes, width, height }) =>
      runOne(async (tx) => {
        await tx.query(
          "update public.input_images set status = 'ready', content_type = $3, bytes = $4, width = $5, height = $6 where id = $1 and user_id = $2",
          [id, userId, contentType, bytes, width, height],
        );
      }),

    markUsed: ({ ids, userId, at }) =>
      runOne(async (tx) => {
        await tx.query("update public.input_images set last_used_at = $3 where id = any($1::uuid[]) and user_id = $2", [ids, userId, at]);
      }),

    deleteInput: ({ id, userId }) =>
      runOne(async (tx) => {
        await tx.query("delete from public.input_images where id = $1 and user_id = $2", [id, userId]);
      }),

    recordPredictionInputs: ({ predictionId, userId, inputs }) =>
      inputs.length === 0
        ? Promise.resolve()
        : run(async (tx) => {
            for (const input of inputs) {
              await tx.query(
                `insert into public.prediction_inputs (prediction_id, name, input_id, user_id) values ($1, $2, $3, $4)
                 on conflict do nothing`,
                [predictionId, input.name, input.id, userId],
              );
            }
          }),

    listStaleInputs: ({ before, limit }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<InputRow>(
          `select ${INPUT_COLUMNS} from public.input_images
           where created_at < $1 and coalesce(last_used_at, created_at) < $1
           order by created_at limit $2`,
          [before, limit],
        );
        return rows;
      }),

    inputsWithImages: ({ ids }) =>
      ids.length === 0
        ? Promise.resolve(new Set<string>())
        : runOne(async (tx) => {
            const { rows } = await tx.query<{ input_id: string }>(
              `select distinct pi.input_id from public.prediction_inputs pi
               where pi.input_id = any($1::uuid[])
                 and exists (select 1 from public.sdxl_images i where i.prediction_id = pi.prediction_id)`,
              [ids],
            );
            return new Set(rows.map((row) => row.input_id));
          }),
  };
}
