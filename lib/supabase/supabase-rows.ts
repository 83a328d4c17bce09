import { AppError } from "@/lib/errors";
import type { InputValues } from "@/lib/models/input-fields";
import { replaceableBy } from "@/lib/predictions/observation";
import type { ImageRow, PredictionRow, RowStore } from "@/lib/predictions/ports";
import { toReservation, type ReservationAnswer } from "@/lib/predictions/reservation";
import type { PredictionStatus } from "@/lib/predictions/types";
import type { TypedSupabaseClient } from "@/lib/supabase/client-options";
import type { Json, Tables } from "@/lib/supabase/database.types";
import { postgrestError, type PostgrestFailure } from "@/lib/supabase/errors";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/;
const MAX_PAGE = 100;

// Explicit column lists: a column added later is not sent to the browser by accident.
const PREDICTION_COLUMNS =
  "id,user_id,model,model_name,model_key,input,seed,output_count,status,error,created_at,started_at,completed_at,progress,logs_length,output,heard_at,next_read_at,deleted_outputs";
const IMAGE_COLUMNS =
  "id,user_id,prediction_id,output_index,prompt,input,model,model_name,seed,storage_path,content_type,bytes,width,height,created_at";

/** A client, or a way to get this request's client when a method is first called (cookies are per request). */
export type ClientSource = TypedSupabaseClient | (() => Promise<TypedSupabaseClient>);

type Response = { data: unknown; error: PostgrestFailure | null; status: number };

/**
 * RowStore over PostgREST. Row-level security decides what the client's JWT may
 * see; every query also filters on the userId it is given, which is what
 * protects rows when the client is the service role. Behaviour matches
 * lib/local/local-rows.ts, including which Postgres errors become which AppError.
 */
export function createSupabaseRowStore(source: ClientSource): RowStore {
  const client = () => (typeof source === "function" ? source() : Promise.resolve(source));

  async function run<R extends Response>(operation: string, query: (db: TypedSupabaseClient) => PromiseLike<R>): Promise<R["data"]> {
    const { data, error, status } = await query(await client());
    if (error) throw postgrestError(error, status, operation);
    return data;
  }

  async function getPrediction({ id, userId }: { id: string; userId: string }) {
    const row = await run("read prediction", (db) =>
      db.from("predictions").select(PREDICTION_COLUMNS).eq("id", id).eq("user_id", userId).maybeSingle(),
    );
    return row && toPrediction(row);
  }

  async function getImageByOutput({ predictionId, outputIndex, userId }: { predictionId: string; outputIndex: number; userId: string }) {
    const row = await run("read image", (db) =>
      db
        .from("sdxl_images")
        .select(IMAGE_COLUMNS)
        .eq("prediction_id", predictionId)
        .eq("output_index", outputIndex)
        .eq("user_id", userId)
        .maybeSingle(),
    );
    return row && toImage(row);
  }

  async function listImagesOf({ predictionId, userId }: { predictionId: string; userId: string }) {
    const rows = await run("read images", (db) =>
      db.from("sdxl_images").select(IMAGE_COLUMNS).eq("prediction_id", predictionId).eq("user_id", userId).order("output_index"),
    );
    return (rows ?? []).map(toImage);
  }

  return {
    // With the person's session: the function reserves for the JWT's user, whatever a caller would pass.
    async reservePrediction({ concurrent, perMinute }) {
      const answer = await run("reserve a prediction", (db) => db.rpc("reserve_prediction", { p_concurrent: concurrent, p_per_minute: perMinute }));
      return toReservation(answer as ReservationAnswer | null);
    },

    async releaseReservation({ id }) {
      await run("release a prediction reservation", (db) => db.rpc("release_prediction_reservation", { p_id: id }));
    },

    async insertPrediction(row) {
      // Only the columns `authenticated` may insert; created_at comes from the database.
      const values = {
        id: row.id,
        user_id: row.user_id,
        model: row.model,
        model_name: row.model_name,
        model_key: row.model_key,
        input: row.input as Json,
        seed: row.seed,
        output_count: row.output_count,
        status: row.status,
      };
      const inserted = await run("record prediction", (db) => db.from("predictions").insert(values).select(PREDICTION_COLUMNS).single());
      return toPrediction(inserted!);
    },

    getPrediction,

    // Two requests at once: PostgREST could embed the image, but sdxl_images
    // has two foreign keys to predictions, and the latency is one round trip either way.
    async getPredictionWithImages({ id, userId }) {
      const [prediction, images] = await Promise.all([getPrediction({ id, userId }), listImagesOf({ predictionId: id, userId })]);
      return prediction && { prediction, images };
    },

    async getPredictionOwner({ id }) {
      const row = await run("read prediction owner", (db) => db.from("predictions").select("user_id").eq("id", id).maybeSingle());
      return row?.user_id ?? null;
    },

    // Like the local store: a row that is not the caller's is left alone without an error.
    async updatePrediction({ id, userId, status, error, completedAt, startedAt, seed }) {
      // started_at and seed are written once, when first known (PostgREST has no coalesce in an update).
      const once = { ...(startedAt ? { started_at: startedAt } : {}), ...(typeof seed === "number" ? { seed } : {}) };
      await run("update prediction", (db) =>
        db.from("predictions").update({ status, error, completed_at: completedAt, ...once }).eq("id", id).eq("user_id", userId),
      );
    },

    // The same rule as the local store's, as PostgREST filters: an update whose
    // filter matches nothing changes nothing, and the answer says so.
    async recordObservation({ id, userId, observation: o }) {
      const { before, same } = replaceableBy(o.status);
      const newer = [...(before.length ? [`status.in.(${before.join(",")})`] : []), ...(same ? [`and(status.eq.${same},logs_length.lte.${o.logsLength})`] : [])];
      const values = {
        status: o.status,
        error: o.error,
        progress: o.progress,
        logs_length: o.logsLength,
        completed_at: o.completedAt,
        heard_at: o.heardAt,
        next_read_at: o.nextReadAt,
        // Written once, when first known (PostgREST has no coalesce in an update).
        ...(o.startedAt ? { started_at: o.startedAt } : {}),
        ...(o.output !== undefined ? { output: o.output as Json } : {}),
      };
      const rows = await run("record prediction progress", (db) =>
        db.from("predictions").update(values).eq("id", id).eq("user_id", userId).or(newer.join(",")).select("id,seed"),
      );
      const updated = rows?.[0];
      if (updated && o.seed !== null && updated.seed === null) {
        // Once per prediction at most: the seed the logs name, unless one was known already.
        const seed = o.seed;
        await run("record prediction seed", (db) => db.from("predictions").update({ seed }).eq("id", id).eq("user_id", userId).is("seed", null));
      }
      return Boolean(updated);
    },

    async claimRead({ id, userId, now, until }) {
      const rows = await run("claim prediction read", (db) =>
        db
          .from("predictions")
          .update({ next_read_at: until })
          .eq("id", id)
          .eq("user_id", userId)
          .or(`next_read_at.is.null,next_read_at.lte."${now}"`)
          .select("id"),
      );
      return (rows?.length ?? 0) > 0;
    },

    async keepEarlyWebhook({ webhookId, predictionId, body }) {
      await run("keep early webhook", (db) =>
        db
          .from("webhook_inbox")
          .upsert({ webhook_id: webhookId, prediction_id: predictionId, body: body as Json }, { onConflict: "webhook_id", ignoreDuplicates: true }),
      );
    },

    async takeEarlyWebhooks({ predictionId }) {
      const rows = await run("take early webhooks", (db) =>
        db.from("webhook_inbox").delete().eq("prediction_id", predictionId).select("body,received_at"),
      );
      return (rows ?? []).sort((a, b) => Date.parse(a.received_at) - Date.parse(b.received_at)).map((row) => row.body);
    },

    async pruneEarlyWebhooks({ before }) {
      const rows = await run("prune early webhooks", (db) => db.from("webhook_inbox").delete().lt("received_at", before).select("webhook_id"));
      return rows?.length ?? 0;
    },

    async listRecentRunTimes({ userId, model, limit }) {
      const rows = await run("list run times", (db) =>
        db
          .from("predictions")
          .select("started_at,completed_at")
          .eq("user_id", userId)
          .eq("model", model)
          .eq("status", "succeeded")
          .not("started_at", "is", null)
          .not("completed_at", "is", null)
          .order("created_at", { ascending: false })
          .limit(Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE)),
      );
      return (rows ?? []).map((row) => Date.parse(row.completed_at!) - Date.parse(row.started_at!)).filter(Number.isFinite);
    },

    async countPredictionsSince({ userId, since }) {
      const { count, error, status } = await (await client())
        .from("predictions")
        .select("id", { count: "exact", head: true })
        .eq("user_id", userId)
        .gte("created_at", since);
      if (error) throw postgrestError(error, status, "count predictions");
      return count ?? 0;
    },

    async listRunningPredictions({ userId, since }) {
      const rows = await run("list running predictions", (db) =>
        db
          .from("predictions")
          .select(PREDICTION_COLUMNS)
          .eq("user_id", userId)
          .gte("created_at", since)
          .in("status", ["starting", "processing"])
          .order("created_at", { ascending: true }),
      );
      return (rows ?? []).map(toPrediction);
    },

    // PostgREST could say "without an image" only through an embedded anti-join,
    // and sdxl_images has two foreign keys to predictions (which makes the embed
    // ambiguous), so: candidates page by page, minus those that have an image.
    async listUnsavedPredictions({ since, limit }) {
      const wanted = Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE);
      const found: PredictionRow[] = [];
      let after: { created_at: string; id: string } | undefined;
      while (found.length < wanted) {
        const candidates = await run("list unsaved predictions", (db) => {
          let query = db
            .from("predictions")
            .select(PREDICTION_COLUMNS)
            .gte("created_at", since)
            .in("status", ["starting", "processing", "succeeded"]);
          if (after) {
            // Both values came from the database (an id matches the table's check), so nothing breaks out of the filter.
            const at = `"${after.created_at}"`;
            query = query.or(`created_at.gt.${at},and(created_at.eq.${at},id.gt.${after.id})`);
          }
          return query.order("created_at", { ascending: true }).order("id", { ascending: true }).limit(MAX_PAGE);
        });
        if (!candidates?.length) break;
        const ids = candidates.map((row) => row.id);
        const saved = await run("list saved predictions", (db) => db.from("sdxl_images").select("prediction_id").in("prediction_id", ids));
        const savedCount = new Map<string, number>();
        for (const { prediction_id } of saved ?? []) savedCount.set(prediction_id, (savedCount.get(prediction_id) ?? 0) + 1);
        for (const row of candidates) {
          // A deleted image is accounted for: it is never saved again.
          const accounted = (savedCount.get(row.id) ?? 0) + row.deleted_outputs.length;
          if (accounted < row.output_count && found.length < wanted) found.push(toPrediction(row));
        }
        if (candidates.length < MAX_PAGE) break;
        const last = candidates[candidates.length - 1];
        after = { created_at: last.created_at, id: last.id };
      }
      return found;
    },

    getImageByOutput,

    // Saves can race (the page, the webhook and the reconcile step may all see
    // the same success): ON CONFLICT DO NOTHING lets the first one win, and
    // everyone else reads that row back.
    async insertImage(row) {
      const values = { ...row, input: row.input as Json };
      const inserted = await run("save image", (db) =>
        db.from("sdxl_images").upsert(values, { onConflict: "prediction_id,output_index", ignoreDuplicates: true }).select(IMAGE_COLUMNS),
      );
      if (inserted?.[0]) return toImage(inserted[0]);
      const existing = await getImageByOutput({ predictionId: row.prediction_id, outputIndex: row.output_index, userId: row.user_id });
      if (!existing) throw new AppError("conflict", "This prediction's image belongs to someone else.");
      return existing;
    },

    async getImage({ id, userId }) {
      if (!UUID.test(id)) return null;
      const row = await run("read image", (db) =>
        db.from("sdxl_images").select(IMAGE_COLUMNS).eq("id", id).eq("user_id", userId).maybeSingle(),
      );
      return row && toImage(row);
    },

    async listImages({ userId, limit, cursor }) {
      if (cursor && (!UUID.test(cursor.id) || !TIMESTAMP.test(cursor.created_at))) {
        throw new AppError("bad_request", "Invalid page cursor.");
      }
      const pageSize = Math.min(Math.max(Math.trunc(limit), 1), MAX_PAGE);
      const rows = await run("list images", (db) => {
        let query = db.from("sdxl_images").select(IMAGE_COLUMNS).eq("user_id", userId);
        if (cursor) {
          // Keyset paging on (created_at, id) < cursor, as PostgREST spells a row comparison.
          // Both values were validated above, so nothing in them can break out of the filter.
          const at = `"${cursor.created_at}"`;
          query = query.or(`created_at.lt.${at},and(created_at.eq.${at},id.lt.${cursor.id})`);
        }
        return query.order("created_at", { ascending: false }).order("id", { ascending: false }).limit(pageSize);
      });
      return (rows ?? []).map(toImage);
    },

    async deleteImage({ id, userId }) {
      if (!UUID.test(id)) return null;
      const rows = await run("delete image", (db) =>
        db.from("sdxl_images").delete().eq("id", id).eq("user_id", userId).select(IMAGE_COLUMNS),
      );
      return rows?.[0] ? toImage(rows[0]) : null;
    },
  };
}

function toPrediction(row: Tables<"predictions">): PredictionRow {
  return {
    ...row,
    input: row.input as InputValues,
    status: row.status as PredictionStatus,
    created_at: toUtcTimestamp(row.created_at),
    started_at: row.started_at === null ? null : toUtcTimestamp(row.started_at),
    completed_at: row.completed_at === null ? null : toUtcTimestamp(row.completed_at),
    output: row.output as PredictionRow["output"],
    heard_at: row.heard_at === null ? null : toUtcTimestamp(row.heard_at),
    next_read_at: row.next_read_at === null ? null : toUtcTimestamp(row.next_read_at),
  };
}

function toImage(row: Tables<"sdxl_images">): ImageRow {
  return { ...row, input: row.input as InputValues, created_at: toUtcTimestamp(row.created_at) };
}

/**
 * PostgREST prints timestamptz as `2026-11-24T10:00:00.1234+00:00` (trailing
 * zeros of the fraction dropped). The app's gallery cursors, like the local
 * store, use `2026-11-24T10:00:00.123400Z`: UTC with all six fractional digits,
 * since rounding to milliseconds would skip rows made in the same millisecond.
 */
export function toUtcTimestamp(value: string): string {
  const match = TIMESTAMP.exec(value);
  if (!match) return value;
  const [, date, time, fraction = "", zone] = match;
  const offset = zone === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const instant = new Date(`${date}T${time}${offset}`);
  if (Number.isNaN(instant.getTime())) return value;
  return `${instant.toISOString().slice(0, 19)}.${fraction.padEnd(6, "0")}Z`;
}
