import "server-only";
import { AppError } from "@/lib/errors";
import { readModelInputs, type ModelInputs } from "@/lib/models/cog-schema";
import type { ImageModel, ModelDescription, RunTarget } from "@/lib/models/image-model";
import type { ModelOption } from "@/lib/models/input-fields";
import { createInputValidator, type InputValidator } from "@/lib/models/input-validator";
import { configurationProblemOf, MODEL_UNAVAILABLE } from "@/lib/models/replicate-errors";
import { displayNameOf, formatModelRef, type ModelRef } from "@/lib/models/model-ref";

/**
 * The configured models and what each takes, read from the model's own
 * published schema. A version's schema never changes, so once read it is kept
 * (SchemaStore: the database) and the app keeps working from it when
 * Replicate's model API is down; a model named without a version (an official
 * model, a deployment) has its newest version looked up again at most every
 * ALIAS_TTL_MS. A model whose schema cannot be had is unavailable; the others
 * keep working.
 */

export const LOCAL_MODEL_KEY = "local-preview";
export type CatalogEntry = { key: string; ref: ModelRef | "local" };

/** Where schemas outlive the process. Keys: "owner/name:version" for versions, the configured reference for aliases. */
export interface SchemaStore {
  readVersion(ref: string): Promise<unknown | null>;
  writeVersion(ref: string, openapiSchema: unknown): Promise<void>;
  readAlias(key: string): Promise<{ model: string; version: string } | null>;
  writeAlias(key: string, alias: { model: string; version: string }): Promise<void>;
}

/** A model ready to run: what it is, where it runs, what it takes. */
export type RunnableModel = {
  key: string;
  displayName: string;
  isLocalPreview: boolean;
  /** Stored with each prediction and image: "owner/name:version", or "local-preview". */
  reference: string;
  target: RunTarget;
  inputs: ModelInputs;
  validate: InputValidator;
};

export interface ModelCatalog {
  /** Every configured model as the browser sees it, the default first. */
  list(): Promise<ModelOption[]>;
  /** The model a create names (the default when none), or an AppError saying why it cannot run. */
  resolve(key?: string): Promise<RunnableModel>;
  /**
   * What the operator must fix in the configuration (a community model named
   * without a version, a model or version Replicate does not know), per model;
   * checked at server start. A Replicate that cannot be reached is not one.
   */
  configurationProblems(): Promise<Array<{ key: string; fix: string }>>;
}

export const ALIAS_TTL_MS = 5 * 60_000;
/** After a failed lookup with nothing kept, wait this long before asking Replicate again. */
const RETRY_UNAVAILABLE_MS = 30_000;

type Resolution = { ok: true; model: RunnableModel } | { ok: false; reason: string; fix: string | null };
type Cached = { resolution: Resolution; at: number };

export function createModelCatalog({
  engine,
  entries,
  store,
  now = () => Date.now(),
}: {
  engine: ImageModel;
  entries: CatalogEntry[];
  store: SchemaStore;
  now?: () => number;
}): ModelCatalog {
  const cache = new Map<string, Cached>();
  const pending = new Map<string, Promise<Resolution>>();

  function isFresh(entry: CatalogEntry, cached: Cached): boolean {
    if (!cached.resolution.ok) return now() - cached.at < RETRY_UNAVAILABLE_MS;
    // A pinned version (and the local model) never changes; a name may point at a newer version.
    const pinned = entry.ref === "local" || entry.ref.kind === "version";
    return pinned || now() - cached.at < ALIAS_TTL_MS;
  }

  function resolveEntry(entry: CatalogEntry): Promise<Resolution> {
    const cached = cache.get(entry.key);
    if (cached && isFresh(entry, cached)) return Promise.resolve(cached.resolution);
    let running = pending.get(entry.key);
    if (!running) {
      running = lookUp(entry, cached?.resolution)
        .then((resolution) => {
          cache.set(entry.key, { resolution, at: now() });
          return resolution;
        })
        .finally(() => pending.delete(entry.key));
      pending.set(entry.key, running);
    }
    return running;
  }

  async function lookUp(entry: CatalogEntry, previous: Resolution | undefined): Promise<Resolution> {
    const { ref } = entry;
    if (ref === "local") return toResolution(entry, await engine.describe("local"));
    if (ref.kind === "version") {
      const key = `${ref.owner}/${ref.name}:${ref.version}`;
      const kept = await store.readVersion(key).catch(() => null);
      if (kept) return toResolution(entry, { model: `${ref.owner}/${ref.name}`, version: ref.version, openapiSchema: kept });
    }
    try {
      const description = await engine.describe(ref);
      if (description.version) {
        const versionKey = `${description.model}:${description.version}`;
        await store.writeVersion(versionKey, description.openapiSchema).catch(logStoreFailure);
        if (ref.kind !== "version") await store.writeAlias(entry.key, { model: description.model, version: description.version }).catch(logStoreFailure);
      }
      return toResolution(entry, description);
    } catch (error) {
      // Replicate's model API is down or refuses: carry on with what was kept.
      if (previous?.ok) return previous;
      const alias = ref.kind === "version" ? null : await store.readAlias(entry.key).catch(() => null);
      const kept = alias ? await store.readVersion(`${alias.model}:${alias.version}`).catch(() => null) : null;
      if (alias && kept) return toResolution(entry, { model: alias.model, version: alias.version, openapiSchema: kept });
      const fix = configurationProblemOf(error);
      console.error(`Could not read the schema of ${formatModelRef(ref)}:`, fix ?? (error instanceof Error ? error.message : error));
      return {
        ok: false,
        reason: fix ? MODEL_UNAVAILABLE : "This model's settings could not be loaded from Replicate. Try again in a minute.",
        fix,
      };
    }
  }

  return {
    async list() {
      const resolutions = await Promise.all(entries.map(resolveEntry));
      return resolutions.map((resolution, index) => toOption(entries[index], resolution));
    },

    async resolve(key) {
      const entry = key === undefined ? entries[0] : entries.find((candidate) => candidate.key === key);
      if (!entry) throw new AppError("invalid_input", "Choose one of the models offered.", { fields: { model: ["Choose one of the models offered."] } });
      const resolution = await resolveEntry(entry);
      if (!resolution.ok) throw new AppError("model_unavailable", resolution.reason);
      if (resolution.model.inputs.unavailableReason) throw new AppError("model_unavailable", resolution.model.inputs.unavailableReason);
      return resolution.model;
    },

    async configurationProblems() {
      const resolutions = await Promise.all(entries.map(resolveEntry));
      return resolutions.flatMap((resolution, index) => (!resolution.ok && resolution.fix ? [{ key: entries[index].key, fix: resolution.fix }] : []));
    },
  };
}

function toResolution(entry: CatalogEntry, description: ModelDescription): Resolution {
  const inputs = readModelInputs(description.openapiSchema);
  let validate: InputValidator;
  try {
    validate = createInputValidator(description.openapiSchema, inputs);
  } catch (error) {
    console.error(`The schema of ${entry.key} cannot be used:`, error);
    return { ok: false, reason: "This model's published schema cannot be read by this app.", fix: null };
  }
  const isLocal = entry.ref === "local";
  const [owner, name] = description.model.split("/");
  return {
    ok: true,
    model: {
      key: entry.key,
      displayName: isLocal ? "Local preview model" : displayNameOf(owner, name),
      isLocalPreview: isLocal,
      reference: description.version ? `${description.model}:${description.version}` : description.model,
      target: runTargetOf(entry.ref),
      inputs,
      validate,
    },
  };
}

function runTargetOf(ref: CatalogEntry["ref"]): RunTarget {
  if (ref === "local") return { kind: "local" };
  switch (ref.kind) {
    case "version":
      return { kind: "version", version: ref.version };
    // Official models run by name (Replicate refuses their versions); the
    // schema read is the newest version's, looked up at most ALIAS_TTL_MS ago.
    case "model":
      return { kind: "model", owner: ref.owner, name: ref.name };
    case "deployment":
      return { kind: "deployment", owner: ref.owner, name: ref.name };
  }
}

function toOption(entry: CatalogEntry, resolution: Resolution): ModelOption {
  if (!resolution.ok) {
    const ref = entry.ref;
    const displayName = ref === "local" ? "Local preview model" : ref.kind === "deployment" ? entry.key : displayNameOf(ref.owner, ref.name);
    return { key: entry.key, displayName, isLocalPreview: ref === "local", available: false, unavailableReason: resolution.reason, fields: [] };
  }
  const { model } = resolution;
  return {
    key: model.key,
    displayName: model.displayName,
    isLocalPreview: model.isLocalPreview,
    available: model.inputs.unavailableReason === null,
    unavailableReason: model.inputs.unavailableReason,
    fields: model.inputs.fields,
  };
}

function logStoreFailure(error: unknown) {
  console.error("Could not keep a model schema:", error instanceof Error ? error.message : error);
}

/** An in-memory store: for tests, and for a backend that cannot write the shared one. */
export function createMemorySchemaStore(): SchemaStore {
  const versions = new Map<string, unknown>();
  const aliases = new Map<string, { model: string; version: string }>();
  return {
    readVersion: async (ref) => versions.get(ref) ?? null,
    writeVersion: async (ref, schema) => void versions.set(ref, schema),
    readAlias: async (key) => aliases.get(key) ?? null,
    writeAlias: async (key, alias) => void aliases.set(key, alias),
  };
}
