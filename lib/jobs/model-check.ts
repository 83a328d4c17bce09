import "server-only";
import { EnvError, getServerEnv } from "@/lib/env";
import { getAppContext } from "@/lib/server-context";

/**
 * Run once when a server starts: a model reference that can never work (a
 * malformed one, a community model named without a version, a model or
 * version Replicate does not know) stops the server with what to write, rather
 * than failing every person's first generation. A Replicate that cannot be
 * reached right now is not a reason to stop: those models show as unavailable
 * and are asked again later.
 */
export async function checkConfiguredModels({ exit = (code: number) => process.exit(code) }: { exit?: (code: number) => void } = {}): Promise<void> {
  try {
    getServerEnv();
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    console.error(error.message);
    return exit(1);
  }
  const context = await getAppContext();
  const problems = await context.catalog.configurationProblems();
  if (problems.length === 0) return;
  for (const { key, fix } of problems) console.error(`Model ${key}: ${fix}`);
  exit(1);
}
