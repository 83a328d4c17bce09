import "server-only";
import type { BackendConfig } from "@/lib/env";
import { createLocalAuth } from "@/lib/local/local-auth";
import { closeDatabase, getDatabase, type DbIdentity } from "@/lib/local/database";
import { createLocalFileStore, type LocalFileStore } from "@/lib/local/local-files";
import { createLocalInputRowStore } from "@/lib/local/local-inputs";
import type { InputBackend } from "@/lib/inputs/ports";
import { createLocalRowStore } from "@/lib/local/local-rows";
import { purgeLocalUserFiles } from "@/lib/local/purge-user-files";
import { createLocalSchemaStore } from "@/lib/local/local-schema-store";
import { loadSigningKey } from "@/lib/local/session-token";
import type { Backend, SessionUser } from "@/lib/predictions/ports";
import type { BackendRuntime } from "@/lib/server-context";

/** The embedded backend: PGlite under DATA_DIR, files beside it, sessions signed locally. */
export async function createLocalBackend(
  config: Extract<BackendConfig, { kind: "local" }>,
  options: { secureCookies: boolean },
): Promise<BackendRuntime> {
  const db = await getDatabase(config.dataDir);
  const signingKey = await loadSigningKey(config.dataDir, config.authSecret);

  const bind = (identity: DbIdentity) => {
    const files = createLocalFileStore({ db, identity, dataDir: config.dataDir });
    const backend: Backend = { rows: createLocalRowStore({ db, identity }), files };
    return { backend, files };
  };

  const bindInputs = (identity: DbIdentity): InputBackend => ({
    rows: createLocalInputRowStore({ db, identity }),
    files: localInputFiles(createLocalFileStore({ db, identity, dataDir: config.dataDir })),
  });

  return {
    inputsFor: (user: SessionUser) => bindInputs({ kind: "user", user }),
    serviceInputs: () => bindInputs({ kind: "service" }),
    auth: createLocalAuth({ db, signingKey, secureCookies: options.secureCookies }),
    backendFor: (user: SessionUser) => bind({ kind: "user", user }).backend,
    serviceBackend: () => bind({ kind: "service" }).backend,
    schemaStore: () => createLocalSchemaStore(db),
    purgeUserFiles: (user: SessionUser) => purgeLocalUserFiles({ db, dataDir: config.dataDir, userId: user.id }),
    openFile: (user: SessionUser, path: string) => bind({ kind: "user", user }).files.open({ path }),
    close: () => closeDatabase(config.dataDir),
  };
}

/**
 * Local mode's input files: the same disk store as outputs. The browser uploads
 * to the app's own route (app/api/inputs/[id]/content), which streams the body
 * to disk as this person; it is left out of proxy.ts so Next hands it the
 * whole body, not the first 10 MB.
 */
function localInputFiles(files: LocalFileStore): InputBackend["files"] {
  return {
    async uploadTarget({ path, contentType }) {
      const id = /\/inputs\/([0-9a-f-]{36})\.\w+$/.exec(path)?.[1];
      if (!id) throw new Error(`Not an input path: ${path}`);
      return { method: "PUT", url: `/api/inputs/${id}/content`, headers: { "content-type": contentType } };
    },
    read: async ({ path }) => (await files.open({ path }))?.body ?? null,
    write: (args) => files.upload(args),
    remove: (args) => files.remove(args),
    displayUrls: (args) => files.displayUrls(args),
  };
}
