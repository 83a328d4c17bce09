import "server-only";

import type { PGlite } from "@electric-sql/pglite";
import { AppError } from "@/lib/errors";
import type { DbIdentity } from "@/lib/local/database";
import { identityRunners } from "@/lib/local/identity-runners";
import { replaceableBy } from "@/lib/predictions/observation";
import type { ImageRow, PredictionRow, RowStore } from "@/lib/predictions/ports";
import { toReservation, type ReservationAnswer } from "@/lib/predictions/reservation";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PAGE = 100;

// Timestamps leave Postgres as text with all six fractional digits: a JS Date
// keeps only milliseconds, and a gallery cursor rounded to milliseconds would
// skip rows created within the same millisecond.
const iso = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${column}`;

// Seeds are bigint (a model may use any 64-bit seed); every one the app accepts fits a JS number.
const PREDICTION_COLUMNS = `id, user_id, model, model_name, model_key, input, seed::float8 as seed, output_count, status, error, ${iso("created_at")}, ${iso("started_at")}, ${iso("completed_at")}, progress, logs_length, output, ${iso("heard_at")}, ${iso("next_read_at")}, deleted_outputs`;
const IMAGE_COLUMNS = `id, user_id, prediction_id, output_index, prompt, input, model, model_name, seed::float8 as seed, storage_path, content_type, bytes, width, height, ${iso("created_at")}`;

/**
 * RowStore on the embedded database. Every query runs under `identity` (so the
 * migrations' row-level security applies) and also filters on the userId it is
 * given, which is what protects rows when the identity is the service role.
 */
export function createLocalRowStore({ db, identity }: { db: PGlite; identity: DbIdentity }): RowStore {
  const { run, runOne } = identityRunners(db, identity);

  return {
    // The function takes the caller from the JWT claims withIdentity set, as PostgREST's rpc does.
    reservePrediction: ({ concurrent, perMinute }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<{ result: ReservationAnswer }>(
          "select public.reserve_prediction($1, $2) as result",
          [concurrent, perMinute],
        );
        return toReservation(rows[0].result);
      }),

    releaseReservation: ({ id }) =>
      runOne(async (tx) => {
        await tx.query("select public.release_prediction_reservation($1)", [id]);
      }),

    insertPrediction: (row) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<PredictionRow>(
          `insert into public.predictions (id, user_id, model, model_name, model_key, input, seed, output_count, status)
           values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) returning ${PREDICTION_COLUMNS}`,
          [row.id, row.user_id, row.model, row.model_name, row.model_key, JSON.stringify(row.input), row.seed, row.output_count, row.status],
        );
        return rows[0];
      }),

    getPrediction: ({ id, userId }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<PredictionRow>(
          `select ${PREDICTION_COLUMNS} from public.predictions where id = $1 and user_id = $2`,
          [id, userId],
        );
        return rows[0] ?? null;
      }),

    // One statement: the images come back as a JSON array beside the prediction's columns.
    getPredictionWithImages: ({ id, userId }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<PredictionRow & { images: ImageRow[] }>(
          `select ${PREDICTION_COLUMNS},
             (select coalesce(jsonb_agg(to_jsonb(i) order by i.output_index), '[]'::jsonb) from (
                select ${IMAGE_COLUMNS} from public.sdxl_images where prediction_id = $1 and user_id = $2
              ) i) as images
           from public.predictions where id = $1 and user_id = $2`,
          [id, userId],
        );
        if (!rows[0]) return null;
        const { images, ...prediction } = rows[0];
        return { prediction, images };
      }),

    getPredictionOwner: ({ id }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<{ user_id: string }>("select user_id from public.predictions where id = $1", [id]);
        return rows[0]?.user_id ?? null;
      }),

    // Like an update through PostgREST, a row that is not the caller's is left
    // alone without an error; callers check ownership with getPrediction first.
    updatePrediction: ({ id, userId, status, error, completedAt, startedAt, seed }) =>
      runOne(async (tx) => {
        await tx.query(
          `update public.predictions set status = $3, error = $4, completed_at = $5,
             started_at = coalesce(started_at, $6), seed = coalesce(seed, $7)
           where id = $1 and user_id = $2`,
          [id, userId, status, error, completedAt, startedAt ?? null, seed ?? null],
        );
      }),

    recordObservation: ({ id, userId, observation: o }) =>
      runOne(async (tx) => {
        const { before, same } = replaceableBy(o.status);
        const withOutput = o.output !== undefined;
        const { rows } = await tx.query(
          `update public.predictions set status = $3, error = $4, progress = $5, logs_length = $6,
             seed = coalesce(seed, $7), started_at = coalesce(started_at, $8), completed_at = $9,
             heard_at = $10, next_read_at = $11${withOutput ? ", output = $14::jsonb" : ""}
           where id = $1 and user_id = $2
             and (status = any($12::text[]) or (status = $13 and logs_length <= $6))
           returning id`,
          [
            id, userId, o.status, o.error, o.progress, o.logsLength, o.seed, o.startedAt, o.completedAt, o.heardAt, o.nextReadAt,
            before, same, ...(withOutput ? [JSON.stringify(o.output ?? null)] : []),
          ],
        );
        return rows.length > 0;
      }),

    claimRead: ({ id, userId, now, until }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query(
          `update public.predictions set next_read_at = $4
           where id = $1 and user_id = $2 and (next_read_at is null or next_read_at <= $3) returning id`,
          [id, userId, now, until],
        );
        return rows.length > 0;
      }),

    keepEarlyWebhook: ({ webhookId, predictionId, body }) =>
      runOne(async (tx) => {
        await tx.query(
          `insert into public.webhook_inbox (webhook_id, prediction_id, body) values ($1, $2, $3::jsonb)
           on conflict (webhook_id) do nothing`,
          [webhookId, predictionId, JSON.stringify(body)],
        );
      }),

    takeEarlyWebhooks: ({ predictionId }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<{ body: unknown; received_at: string }>(
          `delete from public.webhook_inbox where prediction_id = $1 returning body, ${iso("received_at")}`,
          [predictionId],
        );
        return rows.sort((a, b) => a.received_at.localeCompare(b.received_at)).map((row) => row.body);
      }),

    pruneEarlyWebhooks: ({ before }) =>
      runOne(async (tx) => {
        const { affectedRows } = await tx.query("delete from public.webhook_inbox where received_at < $1", [before]);
        return affectedRows ?? 0;
      }),

    listRecentRunTimes: ({ userId, model, limit }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<{ ms: number }>(
          `select (extract(epoch from completed_at - started_at) * 1000)::float8 as ms from public.predictions
           where user_id = $1 and model = $2 and status = 'succeeded' and started_at is not null and completed_at is not null
           order by created_at desc limit $3`,
          [userId, model, Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE)],
        );
        return rows.map((row) => row.ms);
      }),

    countPredictionsSince: ({ userId, since }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<{ count: number }>(
          "select count(*)::int as count from public.predictions where user_id = $1 and created_at >= $2",
          [userId, since],
        );
        return rows[0].count;
      }),

    listRunningPredictions: ({ userId, since }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<PredictionRow>(
          `select ${PREDICTION_COLUMNS} from public.predictions
           where user_id = $1 and created_at >= $2 and status in ('starting', 'processing')
           order by created_at`,
          [userId, since],
        );
        return rows;
      }),

    listUnsavedPredictions: ({ since, limit }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<PredictionRow>(
          `select ${PREDICTION_COLUMNS} from public.predictions p
           where p.created_at >= $1 and p.status in ('starting', 'processing', 'succeeded')
             -- A deleted image is accounted for: it is never saved again.
             and (select count(*) from public.sdxl_images i where i.prediction_id = p.id) + cardinality(p.deleted_outputs) < p.output_count
           order by p.created_at, p.id
           limit $2`,
          [since, Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE)],
        );
        return rows;
      }),

    getImageByOutput: ({ predictionId, outputIndex, userId }) =>
      runOne(async (tx) => {
        const { rows } = await tx.query<ImageRow>(
          `select ${IMAGE_COLUMNS} from public.sdxl_images where prediction_id = $1 and output_index = $2 and user_id = $3`,
          [predictionId, outputIndex, userId],
        );
        return rows[0] ?? null;
      }),

    // Saves can race (the page, the webhook and the reconcile step may all see
    // the same success); the unique (prediction_id, output_index) makes the
    // first one win and everyone gets that row back.
    insertImage: (row) =>
      run(async (tx) => {
        await tx.query(
          `insert into public.sdxl_images
             (user_id, prediction_id, output_index, prompt, input, model, model_name, seed, storage_path, content_type, bytes, width, height)
           values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13)
           on conflict (prediction_id, output_index) do nothing`,
          [
            row.user_id,
            row.prediction_id,
            row.output_index,
            row.prompt,
            JSON.stringify(row.input),
            row.model,
            row.model_name,
            row.seed,
            row.storage_path,
            row.content_type,
            row.bytes,
            row.width,
            row.height,
          ],
        );
        const { rows } = await tx.query<ImageRow>(
          `select ${IMAGE_COLUMNS} from public.sdxl_images where prediction_id = $1 and output_index = $2 and user_id = $3`,
          [row.prediction_id, row.output_index, row.user_id],
        );
        if (!rows[0]) throw new AppError("conflict", "This prediction's image belongs to someone else.");
        return rows[0];
      }),

    getImage: ({ id, userId }) =>
      !UUID.test(id)
        ? Promise.resolve(null)
        : runOne(async (tx) => {
            const { rows } = await tx.query<ImageRow>(
              `select ${IMAGE_COLUMNS} from public.sdxl_images where id = $1 and user_id = $2`,
              [id, userId],
            );
            return rows[0] ?? null;
          }),

    listImages: async ({ userId, limit, cursor }) => {
      if (cursor && !UUID.test(cursor.id)) throw new AppError("bad_request", "Invalid page cursor.");
      const pageSize = Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE);
      return runOne(async (tx) => {
        const { rows } = cursor
          ? await tx.query<ImageRow>(
              `select ${IMAGE_COLUMNS} from public.sdxl_images
               where user_id = $1 and (sdxl_images.created_at, sdxl_images.id) < ($2::timestamptz, $3::uuid)
               order by sdxl_images.created_at desc, sdxl_images.id desc limit $4`,
              [userId, cursor.created_at, cursor.id, pageSize],
            )
          : await tx.query<ImageRow>(
              `select ${IMAGE_COLUMNS} from public.sdxl_images
               where user_id = $1
               order by sdxl_images.created_at desc, sdxl_images.id desc limit $2`,
              [userId, pageSize],
            );
        return rows;
      });
    },

    deleteImage: ({ id, userId }) =>
      !UUID.test(id)
        ? Promise.resolve(null)
        : runOne(async (tx) => {
            const { rows } = await tx.query<ImageRow>(
              `delete from public.sdxl_images where id = $1 and user_id = $2 returning ${IMAGE_COLUMNS}`,
              [id, userId],
            );
            return rows[0] ?? null;
          }),
  };
}
