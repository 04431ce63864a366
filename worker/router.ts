// The route table. Handlers live beside it; `before` names the request and starts admitting the client, `caught`
// turns every thrown error into an OpenAI-style envelope, `after` adds the common headers.

import { type IRequest, Router } from "itty-router";
import { admitted, type Gate, openGate, rateLimitHeaders } from "./access.ts";
import type { Route } from "../shared/analytics.ts";
import { adminTrpc } from "./admin/handler.ts";
import { chatCompletions } from "./chat.ts";
import { embeddings } from "./embeddings/route.ts";
import { corsHeaders } from "./cors.ts";
import type { Env } from "./env.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { RequestLog } from "./ledger.ts";
import { health } from "./routes/health.ts";
import { listModels } from "./routes/models.ts";
import { createResponse, deleteResponse, getResponse } from "./responses/route.ts";
import { dashboard } from "./routes/dashboard.ts";
import { publicAnalytics } from "./routes/analytics.ts";
import { routingStatus } from "./routes/status.ts";

type Req = IRequest & { requestId: string; gate?: Gate; log?: RequestLog };

/** The routes whose requests the request log records, by path. */
const LOGGED: Record<string, Route> = { "/v1/chat/completions": "chat", "/v1/embeddings": "embeddings", "/v1/responses": "responses" };

// Request ids: an isolate-unique prefix and a counter are as unique as a UUID here and far cheaper to make.
// (Random values are not allowed at global scope, hence the lazy prefix.)
let isolateId = "";
let requestSeq = 0;
function newRequestId(): string {
  isolateId ||= crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  return `req_${isolateId}${(++requestSeq).toString(36)}`;
}

/**
 * The path of a URL without building a URL object (this runs on every request). Trailing slashes are dropped, as
 * the router ignores them: "/v1/chat/completions/" is the same route, served, admitted and logged the same way.
 */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  const path = q < 0 ? url.slice(start) : url.slice(start, q);
  return path.length > 1 && path.endsWith("/") ? path.replace(/\/+$/, "") || "/" : path;
}

function methodNotAllowed(allow: string) {
  return (req: Req): never => {
    throw new HttpError(405, `${req.method} is not allowed on ${pathOf(req.url)}; use ${allow}`, {
      code: "method_not_allowed",
      headers: { allow },
    });
  };
}

type Handler = (req: Req, env: Env, ctx: ExecutionContext) => Promise<Response>;

/** Names the request and starts admitting its client (every route). */
async function before(req: Req, env: Env, ctx: ExecutionContext): Promise<void> {
  req.requestId = req.headers.get("x-request-id")?.slice(0, 100) || newRequestId();
  // Every API call is counted once by its client's limiter. Calls that spend provider quota (POST) need a
  // key in keys mode and settle their admission after reading the body; read-only calls settle it now.
  const path = pathOf(req.url);
  if (!path.startsWith("/v1/")) return;
  // Other methods (PUT, PATCH, …) are no call any route takes: they go on to the router's 405, not to a 401.
  const spends = req.method === "POST" || req.method === "DELETE";
  const route = spends ? LOGGED[path] : undefined;
  if (route) req.log = new RequestLog(env, ctx, { id: req.requestId, route, key: null });
  req.gate = await openGate(req, env, ctx, spends);
  if (!spends) await admitted(req.gate);
}

/** The one error path: every thrown error becomes an OpenAI-style envelope. */
function caught(e: unknown, req: Req): Response {
  if (req.log && e instanceof HttpError) req.log.record.error = e.code ?? e.type;
  return errorResponse(e, { "x-request-id": req.requestId });
}

/** The common headers, and the request log's record of an answered request. */
function after(res: Response | undefined, req: Req, env: Env): Response {
  const out =
    res ??
    errorResponse(new HttpError(404, `No route for ${req.method} ${pathOf(req.url)}`, { code: "not_found" }), {
      "x-request-id": req.requestId,
    });
  for (const [k, v] of Object.entries({ ...rateLimitHeaders(req.gate), ...corsHeaders(req, env) })) out.headers.set(k, v);
  // The request log keeps admitted requests (a refused client's flood is counted by its limiter, not logged);
  // a stream's record is finished when the stream ends.
  const log = req.log;
  if (log && req.gate?.settled?.ok && !log.streaming) {
    log.record.key = req.gate.settled.key?.id ?? null;
    log.finish(out.status, out.status >= 400 ? log.record.error : null);
  }
  return out;
}

/**
 * The routes that spend provider quota, by exact path. They are the bulk of the traffic, so `route` finds them
 * without the router's URL object, search parameters and table walk (about 0.1 ms per chat request in the bench);
 * the router lists them too, for every other method.
 */
const SPENDING: Record<string, Handler> = {
  "/v1/chat/completions": (req, env, ctx) => chatCompletions(req, env, ctx, req.requestId),
  "/v1/embeddings": (req, env, ctx) => embeddings(req, env, ctx, req.requestId),
  "/v1/responses": (req, env, ctx) => createResponse(req, env, ctx, req.requestId),
};

export const router = Router<Req, [Env, ExecutionContext]>({ before: [before], catch: caught, finally: [after] });

/** Serve a request: a POST to a spending route directly, through the same steps as the router's; else the router. */
export async function route(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const handler = request.method === "POST" ? SPENDING[pathOf(request.url)] : undefined;
  if (!handler) return router.fetch(request, env, ctx);
  const req = request as Req;
  let res: Response;
  try {
    await before(req, env, ctx);
    res = await handler(req, env, ctx);
  } catch (e) {
    res = caught(e, req);
  }
  try {
    return after(res, req, env);
  } catch (e) {
    return caught(e, req);
  }
}

for (const [path, handler] of Object.entries(SPENDING)) router.post(path, handler);

router
  .get("/health", (req, env) => health(req, env))
  .get("/v1/models", (req, env) => listModels(req, env))
  .get("/v1/routing/status", (req, env) => routingStatus(req, env))
  .get("/v1/analytics", (req, env) => publicAnalytics(req, env))
  .get("/v1/responses/:id", (req, env) => getResponse(req, env, String(req.params.id), req.requestId))
  .delete("/v1/responses/:id", (req, env) => deleteResponse(req, env, String(req.params.id), req.requestId))
  .all("/admin/trpc/*", (req, env) => adminTrpc(req, env))
  .get("/dashboard", (req, env) => dashboard(req, env, pathOf(req.url)))
  .get("/dashboard/*", (req, env) => dashboard(req, env, pathOf(req.url)))
  .all("/v1/chat/completions", methodNotAllowed("POST"))
  .all("/v1/embeddings", methodNotAllowed("POST"))
  .all("/v1/responses", methodNotAllowed("POST"))
  .all("/v1/responses/:id", methodNotAllowed("GET, DELETE"))
  .all("/v1/models", methodNotAllowed("GET"))
  .all("/v1/routing/status", methodNotAllowed("GET"))
  .all("/v1/analytics", methodNotAllowed("GET"))
  .all("/health", methodNotAllowed("GET"))
  .all("/dashboard", methodNotAllowed("GET"))
  .all("/dashboard/*", methodNotAllowed("GET"));
