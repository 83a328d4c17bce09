import type { InputBackend } from "@/lib/inputs/ports";

/** How long an input nobody uses is kept: long enough to come back to a half-finished form. */
export const INPUT_GRACE_MS = 24 * 3600_000;

export type CleanUpResult = { checked: number; removed: number; kept: number };

/**
 * Removes input images no prediction uses, a day after they were uploaded or
 * last sent to a model: uploads never used (or refused midway by a closed tab),
 * and inputs whose predictions' images have all been deleted. An input a
 * prediction with a saved image still uses is kept, however old, so "use these
 * settings again" keeps working; deleting an image never removes an input
 * directly, only makes it eligible here. Runs on the service backend.
 */
export async function cleanUpInputs({
  inputs,
  now = Date.now(),
  limit = 200,
}: {
  inputs: InputBackend;
  now?: number;
  limit?: number;
}): Promise<CleanUpResult> {
  const stale = await inputs.rows.listStaleInputs({ before: new Date(now - INPUT_GRACE_MS).toISOString(), limit });
  const inUse = await inputs.rows.inputsWithImages({ ids: stale.map((row) => row.id) });
  let removed = 0;
  for (const row of stale) {
    if (inUse.has(row.id)) continue;
    // The row goes last: if removing the file fails, the next run tries again.
    await inputs.files.remove({ path: row.storage_path });
    await inputs.rows.deleteInput({ id: row.id, userId: row.user_id });
    removed += 1;
  }
  return { checked: stale.length, removed, kept: inUse.size };
}
