// The route table. Handlers live beside it; one catch turns every thrown error into an OpenAI-style envelope.

import { type IRequest, Router } from "itty-router";
import { chatCompletions } from "./chat.ts";
import type { Env } from "./env.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { health } from "./routes/health.ts";
import { listModels } from "./routes/models.ts";
import { routingStatus } from "./routes/status.ts";

type Req = IRequest & { requestId: string };

// Request ids: an isolate-unique prefix and a counter are as unique as a UUID here and far cheaper to make.
// (Random values are not allowed at global scope, hence the lazy prefix.)
let isolateId = "";
let requestSeq = 0;
function newRequestId(): string {
  isolateId ||= crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  return `req_${isolateId}${(++requestSeq).toString(36)}`;
}

function methodNotAllowed(allow: string) {
  return (req: Req): never => {
    throw new HttpError(405, `${req.method} is not allowed on ${new URL(req.url).pathname}; use ${allow}`, {
      code: "method_not_allowed",
      headers: { allow },
    });
  };
}

export const router = Router<Req, [Env, ExecutionContext]>({
  before: [
    (req) => {
      req.requestId = req.headers.get("x-request-id")?.slice(0, 100) || newRequestId();
    },
  ],
  catch: (e, req) => errorResponse(e, { "x-request-id": req.requestId }),
  finally: [
    (res: Response | undefined, req) =>
      res ??
      errorResponse(new HttpError(404, `No route for ${req.method} ${new URL(req.url).pathname}`, { code: "not_found" }), {
        "x-request-id": req.requestId,
      }),
  ],
});

router
  .get("/health", (req, env) => health(req, env))
  .get("/v1/models", (req, env) => listModels(req, env))
  .get("/v1/routing/status", (req, env) => routingStatus(req, env))
  .post("/v1/chat/completions", (req, env, ctx) => chatCompletions(req, env, ctx, req.requestId))
  .all("/v1/chat/completions", methodNotAllowed("POST"))
  .all("/v1/models", methodNotAllowed("GET"))
  .all("/v1/routing/status", methodNotAllowed("GET"));
