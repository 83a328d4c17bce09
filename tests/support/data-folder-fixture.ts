import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { InputValues } from "@/lib/models/input-fields";
import type { PredictionStatus } from "@/lib/predictions/types";

/**
 * Data folders made by released versions, packed under tests/fixtures/<name>/,
 * so a later version can prove it opens them with nothing lost. Each has a
 * make script beside it (see its README); what it was asked to make is below,
 * and what came out of it (ids, file digests, errors) is in its recorded.json.
 */

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

export type FixturePerson = {
  email: string;
  password: string;
  /** Saved images, in the order they were made; the gallery lists them newest first. */
  images: InputValues[];
  /** A run the local model fails (its prompt holds `[fail]`). */
  failed?: InputValues;
  /** A run canceled while it was still going. */
  canceled?: InputValues;
};

/** The first person: three images made with different settings, one failed run, one canceled. */
export const ADA: FixturePerson = {
  email: "ada@example.com",
  password: "ada-fixture-password",
  images: [
    { prompt: "a lighthouse on a cliff at dawn, oil painting", seed: 424242 },
    {
      prompt: "a quiet harbour town in the rain",
      negative_prompt: "blurry, text, watermark",
      width: 1216,
      height: 832,
      num_inference_steps: 40,
      guidance_scale: 6.5,
    },
    { prompt: "a red fox asleep in fresh snow" },
  ],
  failed: { prompt: "[fail] a ship in a storm", seed: 1 },
  canceled: { prompt: "a mountain cabin under the northern lights", seed: 2 },
};

/** The second person: one image, and must never see Ada's. */
export const GRACE: FixturePerson = {
  email: "grace@example.com",
  password: "grace-fixture-password",
  images: [{ prompt: "a bowl of lemons on a blue table", seed: 7 }],
};

export const DATA_FOLDER_V1 = {
  name: "data-folder-v1",
  /** The released commit whose code made the folder. */
  madeBy: "c27e1b0",
  people: [ADA, GRACE],
} as const;

/** What the make script observed, written to tests/fixtures/<name>/recorded.json. */
export type RecordedImage = {
  imageId: string;
  predictionId: string;
  storagePath: string;
  prompt: string;
  width: number;
  height: number;
  seed: number;
  createdAt: string;
  bytes: number;
  /** Of the stored file, as served to its owner. */
  sha256: string;
};

export type RecordedRun = { predictionId: string; prompt: string; status: PredictionStatus; error: string | null };

export type RecordedPerson = {
  email: string;
  userId: string;
  /** Newest first, as the gallery lists them. */
  images: RecordedImage[];
  failed: RecordedRun | null;
  canceled: RecordedRun | null;
};

export type RecordedFacts = {
  fixture: string;
  /** `git rev-parse HEAD` when the folder was made, and whether the app's code (all but tests/) differed from it. */
  commit: string;
  dirty: boolean;
  /** The newest migration applied to the folder's database. */
  schemaVersion: string;
  madeAt: string;
  people: RecordedPerson[];
};

export function fixtureDir(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

export async function readRecordedFacts(name: string = DATA_FOLDER_V1.name): Promise<RecordedFacts> {
  return JSON.parse(await readFile(path.join(fixtureDir(name), "recorded.json"), "utf8")) as RecordedFacts;
}

/** The recorded facts of one of the fixture's people, by email. */
export function recordedPerson(facts: RecordedFacts, email: string): RecordedPerson {
  const person = facts.people.find((candidate) => candidate.email === email);
  if (!person) throw new Error(`${facts.fixture} has no recorded person ${email}.`);
  return person;
}

/**
 * Unpacks the fixture's data.tar.gz into a fresh temporary folder and returns
 * it, ready to be the app's DATA_DIR. The caller removes it when done.
 */
export async function extractDataFolderFixture(name: string = DATA_FOLDER_V1.name): Promise<string> {
  const archive = path.join(fixtureDir(name), "data.tar.gz");
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `sdxl-${name}-`));
  try {
    await promisify(execFile)("tar", ["-xzf", archive, "-C", dataDir]);
    // A folder without its database would start as a fresh install and prove nothing.
    await access(path.join(dataDir, "pglite", "PG_VERSION"));
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`Could not unpack ${archive}: ${(error as Error).message}`, { cause: error });
  }
  return dataDir;
}
