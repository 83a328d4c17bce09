import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import type { InputValues } from "@/lib/models/input-fields";
import type { RowStore } from "@/lib/predictions/ports";
import type { PredictionStatus } from "@/lib/predictions/types";
import { createSupabaseApi, PUBLISHABLE_KEY, SERVICE_ROLE_KEY, SUPABASE_URL, type SupabaseApi } from "@/tests/msw/supabase-handlers";
import { testCookies } from "@/tests/support/cookie-jar";

/**
 * The reconcile step's query on the cloud backend (PostgREST through the
 * service-role client): anyone's recent predictions that may still yield
 * images but have fewer saved than they asked for, found past a first page of
 * rows that have all theirs.
 */

vi.mock("next/headers", () => ({ cookies: async () => testCookies }));
const { createSupabaseBackend } = await import("@/lib/supabase/supabase-backend");

const server = setupServer();
const input: InputValues = { prompt: "a lighthouse at dusk", width: 1024, height: 1024 };
const MODEL = {
  model: "stability-ai/sdxl:7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc",
  model_name: "Stable Diffusion XL",
  model_key: "stability-ai/sdxl",
} as const;
let rows: RowStore;
let users: string[];
let api: SupabaseApi;

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  api = await createSupabaseApi();
  server.use(...api.handlers);
  const runtime = await createSupabaseBackend({ kind: "supabase", url: SUPABASE_URL, publishableKey: PUBLISHABLE_KEY, serviceRoleKey: SERVICE_ROLE_KEY });
  rows = runtime.serviceBackend().rows;
  users = [api.addUser({ email: "alice@example.com" }).id, api.addUser({ email: "bob@example.com" }).id];
});
afterAll(async () => {
  server.close();
  await api.close();
});

/** Prediction `n`, asking for `outputs` images of which the first `saved` are saved. */
async function prediction(n: number, status: PredictionStatus, saved = 0, outputs = 1) {
  const id = `p${String(n).padStart(4, "0")}`;
  const userId = users[n % 2];
  await rows.insertPrediction({ id, user_id: userId, ...MODEL, input, seed: null, output_count: outputs, status });
  for (let index = 0; index < saved; index++) {
    await rows.insertImage({
      user_id: userId, prediction_id: id, output_index: index, prompt: String(input.prompt), input, model: MODEL.model,
      model_name: MODEL.model_name, seed: null, storage_path: `${userId}/${id}${index === 0 ? "" : `-${index}`}.png`,
      content_type: "image/png", bytes: 100, width: 1024, height: 1024,
    });
  }
  return id;
}

it("lists unsaved predictions of every owner, oldest first, past pages of saved ones, and only recent ones", async () => {
  const since = new Date(Date.now() - 60_000).toISOString();
  // More saved rows than one page of candidates (100): the unsaved ones come after them.
  for (let n = 0; n < 120; n++) await prediction(n, "succeeded", 1);
  const unsaved = [await prediction(200, "starting"), await prediction(201, "processing"), await prediction(202, "succeeded")];
  await prediction(203, "failed");
  await prediction(204, "canceled");
  const later = await prediction(205, "succeeded");
  // Several outputs: listed until every one is saved.
  const partly = await prediction(206, "succeeded", 1, 2);
  await prediction(207, "succeeded", 2, 2);
  const none = await prediction(208, "succeeded", 0, 3);

  const found = await rows.listUnsavedPredictions({ since, limit: 100 });
  expect(found.map((row) => row.id)).toEqual([...unsaved, later, partly, none]);
  expect(found.map((row) => row.user_id)).toEqual([users[0], users[1], users[0], users[1], users[0], users[0]]);
  expect(found.map((row) => row.output_count)).toEqual([1, 1, 1, 1, 2, 3]);
  expect(found[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

  expect((await rows.listUnsavedPredictions({ since, limit: 2 })).map((row) => row.id)).toEqual(unsaved.slice(0, 2));
  expect(await rows.listUnsavedPredictions({ since: new Date(Date.now() + 60_000).toISOString(), limit: 100 })).toEqual([]);
});
