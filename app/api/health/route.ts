/**
 * Liveness for load balancers and uptime checks: answers without a session,
 * the database or the model, so it says only that the server is up and
 * serving. It is also the benchmark's baseline for route-handler overhead.
 */

// A health check must run on every request, never be a snapshot from the build.
export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json({ ok: true }, { headers: { "cache-control": "no-store" } });
}
