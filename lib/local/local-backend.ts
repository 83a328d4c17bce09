import "server-only";
import type { BackendConfig } from "@/lib/env";
import { createLocalAuth } from "@/lib/local/local-auth";
import { closeDatabase, getDatabase, type DbIdentity } from "@/lib/local/database";
import { createLocalFileStore } from "@/lib/local/local-files";
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

  return {
    auth: createLocalAuth({ db, signingKey, secureCookies: options.secureCookies }),
    backendFor: (user: SessionUser) => bind({ kind: "user", user }).backend,
    serviceBackend: () => bind({ kind: "service" }).backend,
    schemaStore: () => createLocalSchemaStore(db),
    purgeUserFiles: (user: SessionUser) => purgeLocalUserFiles({ db, dataDir: config.dataDir, userId: user.id }),
    openFile: (user: SessionUser, path: string) => bind({ kind: "user", user }).files.open({ path }),
    close: () => closeDatabase(config.dataDir),
  };
}
