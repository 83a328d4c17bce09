/**
 * Next calls register() once when a server starts. It checks the configured
 * models (lib/jobs/model-check.ts: a reference that can never work stops the
 * server with what to write) and starts the reconcile
 * schedule (lib/jobs/reconcile-job.ts) so images that succeeded while no
 * server was saving them (a restart between `succeeded` and the save, a tab
 * closed early) are saved without anyone polling.
 *
 * NEXT_RUNTIME and NEXT_PHASE are Next's own markers, not app configuration:
 * the job needs Node (PGlite, the file system), and `next build` must not
 * touch the data folder a running server may hold open.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  // First, so no request reaches the app without its socket address, and none Next would 500 on (lib/http/server-edge.ts).
  const { installServerEdge } = await import("@/lib/http/server-edge");
  installServerEdge();
  const { checkConfiguredModels } = await import("@/lib/jobs/model-check");
  // Not awaited: reading schemas from Replicate must not hold up start-up; a fatal problem exits when found.
  void checkConfiguredModels().catch((error: unknown) => console.error("Could not check the configured models", error));
  try {
    const { startReconcileSchedule } = await import("@/lib/jobs/reconcile-job");
    // Not awaited: start-up must not wait on the model or the database.
    void startReconcileSchedule();
  } catch (error) {
    console.error("Reconcile schedule could not start", error);
  }
}
