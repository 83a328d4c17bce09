import "server-only";
import { getServerEnv } from "@/lib/env";
import { errorResponse } from "@/lib/errors";
import { assertSameOriginWrite, type WriteBody } from "@/lib/http/same-origin";
import type { SessionUser } from "@/lib/predictions/ports";
import { requireUser, type AppContext } from "@/lib/server-context";

type RouteContext<P> = { params: Promise<P> };

export type AuthedRequest<P> = {
  request: Request;
  user: SessionUser;
  context: AppContext;
  params: P;
};

/**
 * Every route handler that acts for a person goes through here: a write must
 * come from the app's own origin with a JSON body, if any (403/415, see
 * lib/http/same-origin.ts), the session is checked before the handler runs
 * (401 otherwise), and anything thrown becomes the JSON error shape with the
 * right status, never a stack trace.
 *
 * The Replicate webhook and /api/internal/reconcile do not come through here:
 * they are called server to server, authenticated by a signature or a bearer
 * token rather than by cookies, so another site cannot make a browser forge them.
 */
export function withUser<P = Record<string, never>>(
  handler: (args: AuthedRequest<P>) => Promise<Response>,
  { body = "json" }: { body?: WriteBody } = {},
) {
  return async (request: Request, route: RouteContext<P>): Promise<Response> => {
    try {
      assertSameOriginWrite(request, getServerEnv().appUrl, body);
      const { user, context } = await requireUser();
      return await handler({ request, user, context, params: await route.params });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/**
 * A JSON answer nobody may cache. `compress: false` adds `no-transform`, which
 * `next start`'s gzip (the `compression` middleware) honours: for a small
 * answer sent every second or so, like a poll's, a fresh gzip stream per
 * response costs more server time than the bytes it saves on the wire.
 */
export function json(body: unknown, init: { status?: number; compress?: boolean } = {}): Response {
  const cacheControl = init.compress === false ? "no-store, no-transform" : "no-store";
  return Response.json(body, { status: init.status ?? 200, headers: { "cache-control": cacheControl } });
}
