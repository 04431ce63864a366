// POST /v1/responses on top of chat completions (serveChat: the same candidates, failover, commit window and
// honesty rules), plus GET and DELETE /v1/responses/{id} over the caller's own ResponseStore.

import { admitRequest, chargeTokens, type GatedRequest, keyOf } from "../access.ts";
import type { RequestLog } from "../ledger.ts";
import { readJson } from "../body.ts";
import { serveChat } from "../chat.ts";
import type { Env } from "../env.ts";
import { badRequest, HttpError } from "../errors.ts";
import { settingsFor } from "../settings.ts";
import { countRequest } from "../stats.ts";
import { isObject, type JsonObject } from "../validate.ts";
import { ending, fromCompletion, newId, outputItems, responseObject } from "./shape.ts";
import { conversation, lookup, notFound, save, storeOf } from "./store.ts";
import { ResponsesStream } from "./stream.ts";
import { toChatRequest } from "./to-chat.ts";
import { validateResponses } from "./validate.ts";

/** The route headers of the chat answer (who served it, how many attempts) carried over to the Responses answer. */
function routeHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of h) if (k.startsWith("x-freeway-") || k === "x-request-id") out[k] = v;
  return out;
}

/** POST /v1/responses */
export async function createResponse(request: Request, env: Env, ctx: ExecutionContext, requestId: string): Promise<Response> {
  const started = Date.now();
  countRequest();
  const req = validateResponses(await readJson(request, settingsFor(env).maxBodyBytes));
  const store = req.store || req.previous_response_id !== null ? await storeOf(request, env) : null;
  const history = store && req.previous_response_id !== null ? await conversation(store, req.previous_response_id) : [];
  const gate = (request as GatedRequest).gate;
  let chat: Response;
  try {
    chat = await serveChat(toChatRequest(req, history), {
      env,
      ctx,
      requestId,
      signal: request.signal,
      started,
      key: keyOf(request),
      caller: gate?.limiter,
      onUsage: gate ? (tokens) => chargeTokens(env, ctx, gate, tokens) : undefined,
      rpcs: gate?.rpcs ?? 0,
      log: (request as Request & { log?: RequestLog }).log,
    });
  } catch (e) {
    // What chat calls the prompt is `input` here.
    if (e instanceof HttpError && e.param === "messages") {
      throw new HttpError(e.status, e.message, { type: e.type, param: "input", code: e.code, headers: e.headers });
    }
    throw e;
  }
  const headers = routeHeaders(chat.headers);
  const id = newId("resp");
  const createdAt = Math.floor(started / 1000);
  const model = chat.headers.get("x-freeway-model") ?? req.model;
  const keep = async (response: JsonObject): Promise<void> => {
    if (store && req.store) await save(env, store, response, req.previous_response_id, [...req.input, ...outputItems(response.output as JsonObject[])]);
  };
  if (!req.stream) {
    const body = (await chat.json()) as unknown;
    const { output, finish, usage } = fromCompletion(isObject(body) ? body : {});
    const { status, incomplete } = ending(finish);
    const response = responseObject(req, { id, createdAt, model, status, output, usage, error: null, incomplete });
    await keep(response);
    return new Response(JSON.stringify(response), { status: 200, headers: { "content-type": "application/json", ...headers } });
  }
  if (!chat.body) throw new HttpError(502, "The answer stream was empty", { code: "upstream_error" });
  const stream = new ResponsesStream(chat.body, req, { id, createdAt, model }, ({ response }) => keep(response));
  return new Response(stream.readable, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers },
  });
}

/** GET /v1/responses/{id}: the stored object, for the key that created it only. */
export async function getResponse(request: Request, env: Env, id: string, requestId: string): Promise<Response> {
  if (new URL(request.url).searchParams.get("stream") === "true") {
    throw badRequest("Streaming a stored response again is not supported; GET it without 'stream'", "stream", "unsupported_parameter");
  }
  const json = await lookup(await storeOf(request, env), id);
  return new Response(json, { status: 200, headers: { "content-type": "application/json", "x-request-id": requestId } });
}

/** DELETE /v1/responses/{id} */
export async function deleteResponse(request: Request, env: Env, id: string, requestId: string): Promise<Response> {
  // No body to read, so the client's admission (key valid, within its allowance) is settled here.
  await admitRequest(request);
  const r = await (await storeOf(request, env)).remove(id);
  if (!r.deleted) throw notFound(id);
  return Response.json({ id, object: "response", deleted: true }, { headers: { "x-request-id": requestId } });
}
