import "server-only";
import { cleanUpInputs } from "@/lib/inputs/clean-up-inputs";
import { reconcileUnsavedImages, type ReconcileResult } from "@/lib/predictions/reconcile";
import { getAppContext } from "@/lib/server-context";

/** Between runs in a long-lived server: short enough that an image is saved well within Replicate's hour. */
export const RECONCILE_INTERVAL_MS = 5 * 60_000;

// On globalThis: instrumentation and the route handlers are separate bundles
// in one process, and they must share the one run in progress.
const holder = globalThis as typeof globalThis & {
  __sdxlReconcileRun?: Promise<ReconcileResult>;
  __sdxlReconcileTimer?: ReturnType<typeof setInterval>;
};

/**
 * One reconcile run in this process, with the app's own model and service
 * backend. A call while a run is under way joins it instead of starting another.
 */
export function reconcileNow(): Promise<ReconcileResult> {
  holder.__sdxlReconcileRun ??= (async () => {
    const context = await getAppContext();
    return reconcileUnsavedImages({
      backend: context.serviceBackend(),
      model: context.model,
      maxBytes: context.env.limits.maxOutputBytes,
      deadlineMs: context.env.predictionDeadlineMs,
    });
  })().finally(() => {
    holder.__sdxlReconcileRun = undefined;
  });
  return holder.__sdxlReconcileRun;
}

/**
 * Runs reconcile now and then every `intervalMs`, in the background: nothing
 * here is awaited by the caller, and a failure is logged, never thrown, so a
 * model or database that is down cannot stop the server from starting.
 */
export function startReconcileSchedule({ intervalMs = RECONCILE_INTERVAL_MS }: { intervalMs?: number } = {}): Promise<void> {
  const tick = () =>
    reconcileNow()
      .then((result) => {
        if (result.checked > 0) console.info(`Reconcile: ${JSON.stringify(result)}`);
      })
      .catch((error: unknown) => {
        console.error("Reconcile could not run", error);
      })
      // Input images no prediction uses go a day after their last use, on the same schedule.
      .then(async () => {
        const result = await cleanUpInputs({ inputs: (await getAppContext()).serviceInputs() });
        if (result.removed > 0) console.info(`Input clean-up: ${JSON.stringify(result)}`);
      })
      .catch((error: unknown) => {
        console.error("Input clean-up could not run", error);
      });
  if (!holder.__sdxlReconcileTimer) {
    holder.__sdxlReconcileTimer = setInterval(tick, intervalMs);
    // The timer alone must not keep a stopping process alive.
    holder.__sdxlReconcileTimer.unref();
  }
  return tick();
}

/** For tests: stops the schedule. */
export function stopReconcileSchedule(): void {
  clearInterval(holder.__sdxlReconcileTimer);
  holder.__sdxlReconcileTimer = undefined;
}
