import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDatabase } from "@/lib/local/database";
import { deleteImage, findImageSettings, listGallery } from "@/lib/predictions/gallery";
import type { PredictionView } from "@/lib/predictions/types";
import { PNG_SIGNATURE } from "@/tests/support/backends";
import { testCookies } from "@/tests/support/cookie-jar";
import {
  ADA,
  DATA_FOLDER_V1,
  extractDataFolderFixture,
  GRACE,
  readRecordedFacts,
  recordedPerson,
  type FixturePerson,
  type RecordedFacts,
} from "@/tests/support/data-folder-fixture";
import { jsonRequest, params, startLocalApp, type LocalApp, type TestSession } from "@/tests/support/local-app";
import { form } from "@/tests/support/server-actions";

/*
 * A data folder made by an earlier release (tests/fixtures/data-folder-v1, see
 * its README), opened by this code: whatever migrations it brings run on start,
 * and the people in it must find everything as they left it.
 */

vi.mock("next/headers", () => ({
  cookies: async () => testCookies,
  headers: async () => new Headers({ "x-real-ip": "203.0.113.50" }),
}));

const { signIn } = await import("@/app/(auth)/actions");
const { POST: createRoute } = await import("@/app/api/replicate/route");
const { GET: pollRoute } = await import("@/app/api/replicate/[id]/route");

let dataDir: string;
let app: LocalApp;
let facts: RecordedFacts;
const sessions = new Map<FixturePerson, TestSession>();

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Signs in through the login form's action; the session is whatever cookies it set. Null when refused. */
async function signInAs(email: string, password: string): Promise<TestSession | null> {
  testCookies.clear();
  try {
    const state = await signIn({}, form({ email, password }));
    expect(state).toMatchObject({ error: "Wrong email or password." });
    return null;
  } catch (error) {
    // Success redirects, which Next does by throwing.
    if (!String((error as { digest?: unknown }).digest).startsWith("NEXT_REDIRECT")) throw error;
  }
  const user = await app.context.auth.getUser(testCookies);
  expect(user?.email).toBe(email);
  return { user: user!, cookies: testCookies.snapshot() };
}

function actAs(person: FixturePerson): TestSession {
  const session = sessions.get(person);
  if (!session) throw new Error(`${person.email} did not sign in.`);
  app.actAs(session);
  return session;
}

async function gallery(person: FixturePerson) {
  const { user } = actAs(person);
  return (await listGallery({ user, backend: app.context.backendFor(user) })).images;
}

async function poll(id: string): Promise<Response> {
  return pollRoute(new Request(`http://localhost:3000/api/replicate/${id}`), params({ id }));
}

beforeAll(async () => {
  facts = await readRecordedFacts(DATA_FOLDER_V1.name);
  dataDir = await extractDataFolderFixture(DATA_FOLDER_V1.name);
  app = await startLocalApp({}, { dataDir });
  for (const person of DATA_FOLDER_V1.people) {
    const session = await signInAs(person.email, person.password);
    if (session) sessions.set(person, session);
  }
});

afterAll(async () => {
  await app?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe(`a data folder made by ${DATA_FOLDER_V1.madeBy} (${DATA_FOLDER_V1.name})`, () => {
  it("is brought up to every migration this version has, from the one it was made with", async () => {
    const files = (await readdir(path.join(process.cwd(), "supabase", "migrations"))).filter((name) => /^\d+_.+\.sql$/.test(name));
    const db = await getDatabase(dataDir);
    const { rows } = await db.query<{ version: string }>("select version from supabase_migrations.schema_migrations order by version");
    expect(rows.map((row) => row.version)).toEqual(files.map((name) => name.split("_")[0]).sort());
    expect(rows.map((row) => row.version)).toContain(facts.schemaVersion);
  });

  it("lets each person sign in with the password they chose, as the same account, and not with another", async () => {
    for (const person of DATA_FOLDER_V1.people) {
      expect(sessions.get(person)?.user.id).toBe(recordedPerson(facts, person.email).userId);
      expect(await signInAs(person.email, `${person.password}!`)).toBeNull();
    }
  });

  it.each(DATA_FOLDER_V1.people.map((person) => [person.email, person] as const))(
    "lists every image %s saved, newest first, with its prompt, settings and size",
    async (email, person) => {
      const recorded = recordedPerson(facts, email).images;
      const images = await gallery(person);
      expect(images).toHaveLength(person.images.length);
      expect(images.map(({ id, predictionId, prompt, width, height }) => ({ id, predictionId, prompt, width, height }))).toEqual(
        recorded.map(({ imageId, predictionId, prompt, width, height }) => ({ id: imageId, predictionId, prompt, width, height })),
      );
      // What was asked for, newest first, seed and negative prompt included.
      const asked = [...person.images].reverse();
      images.forEach((image, index) => {
        expect(image.input).toMatchObject({ ...asked[index], seed: recorded[index].seed });
      });
      const times = images.map((image) => Date.parse(image.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(images.map((image) => image.createdAt)).toEqual(recorded.map((image) => image.createdAt));
    },
  );

  it.each(DATA_FOLDER_V1.people.map((person) => [person.email, person] as const))(
    "serves each of %s's images with the same bytes as before, and its gallery thumbnail",
    async (email, person) => {
      const recorded = recordedPerson(facts, email).images;
      const images = await gallery(person);
      for (const [index, image] of images.entries()) {
        const response = await app.openDisplayUrl(image.url);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("image/png");
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect({ bytes: bytes.byteLength, sha256: sha256(bytes) }).toEqual({ bytes: recorded[index].bytes, sha256: recorded[index].sha256 });

        const thumbnail = await app.openDisplayUrl(`${image.url}?w=384`);
        expect(thumbnail.status).toBe(200);
        expect(thumbnail.headers.get("content-type")).toBe("image/webp");
      }
    },
  );

  it("keeps the failed and the canceled run with their status and error, and no image", async () => {
    const recorded = recordedPerson(facts, ADA.email);
    actAs(ADA);
    for (const [run, asked] of [
      [recorded.failed, ADA.failed],
      [recorded.canceled, ADA.canceled],
    ] as const) {
      expect(run?.prompt).toBe(asked?.prompt);
      const response = await poll(run!.predictionId);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id: run!.predictionId, status: run!.status, error: run!.error, images: [] });
    }
    expect(recorded.failed).toMatchObject({ status: "failed", error: expect.stringContaining("[fail]") });
    expect(recorded.canceled).toMatchObject({ status: "canceled", error: null });
  });

  it("shows the second person only their own image, and none of the first person's runs or files", async () => {
    const ada = recordedPerson(facts, ADA.email);
    expect((await gallery(GRACE)).map((image) => image.id)).toEqual(recordedPerson(facts, GRACE.email).images.map((image) => image.imageId));
    for (const id of [...ada.images.map((image) => image.predictionId), ada.failed!.predictionId, ada.canceled!.predictionId]) {
      expect((await poll(id)).status).toBe(404);
    }
    for (const image of ada.images) {
      expect((await app.openDisplayUrl(`/api/files/${image.storagePath}`)).status).toBe(404);
    }
  });

  it("fills in what the new version records for every old image: the model's name, the seed, the output index", async () => {
    for (const person of DATA_FOLDER_V1.people) {
      const recorded = recordedPerson(facts, person.email).images;
      const images = await gallery(person);
      expect(images.map((image) => ({ modelName: image.modelName, seed: image.seed }))).toEqual(
        recorded.map((image) => ({ modelName: "Local preview model", seed: image.seed })),
      );
      const { user } = actAs(person);
      const rows = await app.context.backendFor(user).rows.listImages({ userId: user.id, limit: 10 });
      expect(rows.map((row) => row.output_index)).toEqual(recorded.map(() => 0));
      for (const image of recorded) {
        const prediction = await app.context.backendFor(user).rows.getPrediction({ id: image.predictionId, userId: user.id });
        expect(prediction).toMatchObject({ model: "local-preview", model_name: "Local preview model", model_key: "local-preview", seed: image.seed, output_count: 1, deleted_outputs: [] });
      }
    }
  });

  it("restores an old image's model and settings for \"use these settings again\"", async () => {
    const { user } = actAs(ADA);
    const [recorded] = recordedPerson(facts, ADA.email).images;
    const settings = await findImageSettings({ user, backend: app.context.backendFor(user), imageId: recorded.imageId });
    expect(settings).toEqual({ modelKey: "local-preview", input: expect.objectContaining({ prompt: recorded.prompt, seed: recorded.seed }) });
  });

  it("still makes new images, several at once, and saves them at the top of the gallery", async () => {
    const before = await gallery(ADA);
    const created = await createRoute(
      jsonRequest("/api/replicate", { input: { prompt: "a new day after the upgrade", seed: 5, num_outputs: 2 } }),
      params({}),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as PredictionView;
    const view = (await (await poll(id)).json()) as PredictionView;
    expect(view).toMatchObject({ id, status: "succeeded", expectedImages: 2, images: [{ index: 0, width: 1024, height: 1024 }, { index: 1 }] });

    const after = await gallery(ADA);
    expect(after.slice(0, 2).map((image) => image.id).sort()).toEqual(view.images.map((image) => image.id).sort());
    expect(after.slice(2).map((image) => image.id)).toEqual(before.map((image) => image.id));
    expect(after[0]).toMatchObject({ predictionId: id, prompt: "a new day after the upgrade", input: { seed: 5 } });
    const file = new Uint8Array(await (await app.openDisplayUrl(after[0].url)).arrayBuffer());
    expect([...file.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(await gallery(GRACE)).toHaveLength(GRACE.images.length);
  });

  it("keeps an image from before the upgrade deleted once its owner deletes it", async () => {
    const { user } = actAs(GRACE);
    const [old] = recordedPerson(facts, GRACE.email).images;
    await deleteImage({ user, backend: app.context.backendFor(user), imageId: old.imageId });
    const view = (await (await poll(old.predictionId)).json()) as PredictionView;
    expect(view).toMatchObject({ id: old.predictionId, status: "succeeded", expectedImages: 0, images: [] });
    expect((await gallery(GRACE)).map((image) => image.id)).not.toContain(old.imageId);
  });
});
