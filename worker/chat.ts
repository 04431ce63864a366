// POST /v1/chat/completions: validate, pick candidates, then auction → attempt → fail over until one answers.

import { catalogFor } from "../shared/catalog/index.ts";
import type { ModelSpec } from "../shared/catalog/types.ts";
import { adapterFor } from "./adapters/index.ts";
import { auction } from "./auction.ts";
import { readJson } from "./body.ts";
import { type CandidateSet, resolveCandidates, needsOf } from "./candidates.ts";
import { allows, chargeTokens, type GatedRequest, keyOf } from "./access.ts";
import type { KeyRecord } from "../shared/access.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { nextReset } from "../objects/day.ts";
import { AUTH_COOLDOWN_MS } from "../objects/health.ts";
import { settingsFor } from "./settings.ts";
import type { RequestLog } from "./ledger.ts";
import { report } from "./reports.ts";
import { countRequest } from "./stats.ts";
import { DEFAULT_EXPECTED_OUTPUT, estimatePrompt, requestedMaxTokens } from "./tokens.ts";
import { attempt, type AttemptResult } from "./upstream.ts";
import { type ChatRequest, validateChat } from "./validate.ts";
import { Watchdog } from "./watchdog.ts";

type Failed = Extract<AttemptResult, { kind: "failed" }>;

/** Requests shorter than this never pay for watching whether the caller hangs up. */
const WATCH_CALLER_AFTER_MS = 250;

/**
 * Output tokens to reserve against TPM/TPD. Providers that count max_completion_tokens up front (Cerebras) get
 * what they will count; others what a typical answer needs. Real usage corrects it afterwards.
 */
function expectedOutput(m: ModelSpec, reservedUpFront: number | undefined, asked: number | undefined): number {
  const cap = m.maxOutput || DEFAULT_EXPECTED_OUTPUT;
  if (reservedUpFront !== undefined) return Math.min(asked ?? reservedUpFront, cap);
  return Math.min(asked ?? DEFAULT_EXPECTED_OUTPUT, cap);
}

function retryAfterSeconds(retryAt: number, now: number): string {
  if (!Number.isFinite(retryAt)) return "60";
  return String(Math.max(1, Math.ceil((retryAt - now) / 1000)));
}

/** The error a caller sees when its own request was refused upstream (invalid, policy, too long). */
function callerError(f: Failed, model: ModelSpec): HttpError {
  const status = f.status >= 400 && f.status < 500 ? f.status : 400;
  return new HttpError(status, `${model.id}: ${f.message}`, {
    type: status === 403 ? "permission_error" : "invalid_request_error",
    param: f.error?.param ?? null,
    code: f.failure === "context_length" ? "context_length_exceeded" : f.error?.code ?? null,
  });
}

/** POST /v1/chat/completions: the body is read and validated, then served by `serveChat`. */
export async function chatCompletions(request: Request, env: Env, ctx: ExecutionContext, requestId: string): Promise<Response> {
  const started = Date.now();
  countRequest();
  const req = validateChat(await readJson(request, settingsFor(env).maxBodyBytes));
  const gate = (request as GatedRequest).gate;
  return serveChat(req, {
    env,
    ctx,
    requestId,
    signal: request.signal,
    started,
    key: keyOf(request),
    onUsage: gate ? (tokens) => chargeTokens(env, ctx, gate, tokens) : undefined,
    rpcs: gate?.rpcs ?? 0,
    log: (request as Request & { log?: RequestLog }).log,
  });
}

export interface ChatContext {
  env: Env;
  ctx: ExecutionContext;
  requestId: string;
  /** the caller's connection: when it aborts, the attempt in progress stops */
  signal: AbortSignal;
  /** when the request arrived (the failover loop's budget runs from here) */
  started: number;
  /** the gateway key the caller was admitted with: its model allow-list narrows the candidates */
  key: KeyRecord | null;
  /** told the tokens a successful answer used (a key's daily token quota) */
  onUsage?: (tokens: number) => void;
  /** actor calls already made for this request (the client's admission) */
  rpcs?: number;
  /** the request's record in the request log */
  log?: RequestLog;
}

/**
 * Serve a validated chat request: candidates, auction, attempts and failover. Returns the OpenAI response (JSON
 * or SSE) or throws an HttpError. Other APIs built on chat (the Responses API) call this with their own request.
 */
export async function serveChat(req: ChatRequest, c: ChatContext): Promise<Response> {
  const { env, ctx, requestId, started } = c;
  const request = { signal: c.signal };
  const settings = settingsFor(env);
  const catalog = catalogFor(env);
  const prompt = estimatePrompt(req);
  const maxTokens = requestedMaxTokens(req);
  const needs = needsOf(req, prompt.tokens, prompt.images, maxTokens);
  const dialectOf = (m: ModelSpec): ReturnType<typeof adapterFor> => adapterFor(catalog.providers.get(m.provider)?.dialect ?? "openai");
  const { groups, preset } = allowedCandidates(resolveCandidates(catalog, req, needs, (m) => dialectOf(m).supportsN), c.key);
  const excluded = new Set<string>();
  // Every candidate, only needed when an attempt fails (so not built on the happy path).
  const all = (): ModelSpec[] => groups.flat();
  const tried: string[] = [];
  let lastCallerError: HttpError | null = null;
  let lastFailure: { result: Failed; model: ModelSpec } | null = null;
  /** earliest moment a model that failed in this request can be asked again */
  let failedRetryAt = Infinity;
  let rpcs = c.rpcs ?? 0;
  // The request's one timer, shared by the auctions and the attempts (see watchdog.ts).
  const watchdog = new Watchdog(Date.now() + settings.bidDeadlineMs);
  // A caller that hangs up stops the attempt in progress: no free quota spent on an answer nobody reads.
  // Watching costs a little on every request, so it starts only once a request has lasted a moment.
  const clientGone: { gone: boolean; abort?: () => void } = { gone: false };
  const hangUp = (): void => {
    clientGone.gone = true;
    clientGone.abort?.();
  };
  watchdog.checkpoint(started + WATCH_CALLER_AFTER_MS, () => {
    if (request.signal.aborted) hangUp();
    else request.signal.addEventListener("abort", hangUp, { once: true });
  });

  while (tried.length < settings.maxAttempts && Date.now() - started < settings.totalTimeoutMs) {
    const win = await auction({
      env,
      watchdog,
      ctx,
      catalog,
      settings,
      groups,
      preset,
      excluded,
      tokensFor: (m) => prompt.tokens + expectedOutput(m, catalog.providers.get(m.provider)?.capMaxTokens, maxTokens),
    });
    rpcs += win.rpcs;
    if (!win.ok) {
      watchdog.stop();
      if (lastCallerError) throw lastCallerError;
      const now = Date.now();
      if (win.tooLarge && tried.length === 0) {
        throw new HttpError(413, "The request is larger than the per-minute or per-day token allowance of every model that could serve it", {
          code: "request_too_large",
          param: "messages",
        });
      }
      throw unavailable(tried, lastFailure, Math.min(win.retryAt, failedRetryAt), now);
    }
    const model = win.model;
    const provider = catalog.providers.get(model.provider);
    if (!provider) {
      excluded.add(model.id);
      continue;
    }
    tried.push(model.id);
    const result = await attempt({
      env,
      ctx,
      settings,
      req,
      model,
      provider,
      adapter: dialectOf(model),
      lease: win.lease,
      reserved: win.reserved,
      promptTokens: prompt.tokens,
      log: c.log,
      watchdog,
      onUsage: c.onUsage,
      clientGone,
      headers: {
        "x-request-id": requestId,
        "x-freeway-provider": provider.id,
        "x-freeway-model": model.id,
        "x-freeway-attempts": String(tried.length),
        "x-freeway-rpcs": String(rpcs),
      },
    });
    c.log?.attempt({ model: model.id, provider: provider.id, outcome: result.kind === "ok" ? "ok" : result.failure });
    if (result.kind === "ok") return result.response; // the attempt stops the watchdog when its answer is done
    rpcs++; // a failure is reported at once; a success rides along with a later bid
    if (clientGone.gone) {
      // Nobody is waiting: trying another model would spend its free quota on an answer nobody reads.
      watchdog.stop();
      throw new HttpError(499, "The caller closed the request", { code: "client_closed_request" });
    }
    lastFailure = { result, model };
    failedRetryAt = Math.min(failedRetryAt, retryAtAfter(result, provider.dailyResetTimeZone));
    excluded.add(model.id);
    switch (result.failure) {
      case "caller":
        throw callerError(result, model);
      case "context_length":
        // Only larger windows are worth trying; remember the error in case none is left.
        lastCallerError = callerError(result, model);
        for (const m of all()) if (m.context <= model.context) excluded.add(m.id);
        break;
      case "auth":
        // The provider refused our key or account: all its models share it (ARCHITECTURE.md failure table).
        takeProviderOut(env, ctx, catalog.models, model, result.message);
        for (const m of all()) if (m.provider === model.provider) excluded.add(m.id);
        break;
      case "transient":
        // A provider that errors or refuses our key is likely down for all its models: skip them for this request.
        for (const m of all()) if (m.provider === model.provider) excluded.add(m.id);
        break;
      default:
        break;
    }
  }
  watchdog.stop();
  if (lastCallerError) throw lastCallerError;
  throw unavailable(tried, lastFailure, failedRetryAt, Date.now());
}

/** Tell every other model of a provider whose key was refused, so no request tries them for the cooldown. */
function takeProviderOut(env: Env, ctx: ExecutionContext, models: readonly ModelSpec[], failed: ModelSpec, message: string): void {
  for (const m of models) {
    if (m.provider !== failed.provider || m.id === failed.id) continue;
    report(env, ctx, { model: m.id, lease: "", reserved: 0, ok: false, status: 401, failure: "auth", scope: "model", message: `provider key refused (seen on ${failed.id}): ${message.slice(0, 120)}` });
  }
}

/** Narrow candidates to what the caller's key may use; nothing left is the caller's problem, not capacity. */
function allowedCandidates(set: CandidateSet, key: KeyRecord | null): CandidateSet {
  if (!key?.models) return set;
  const groups = set.groups.map((g) => g.filter((m) => allows(key, m))).filter((g) => g.length > 0);
  if (groups.length === 0) {
    throw new HttpError(403, "This API key may not use the requested model(s).", { type: "permission_error", param: "model", code: "model_not_allowed" });
  }
  return { groups, preset: set.preset };
}

/** When a model that failed in this request can take requests again (what its cooldown will be). */
function retryAtAfter(f: Failed, timeZone: string): number {
  const now = Date.now();
  switch (f.failure) {
    case "throttle":
      return now + (f.retryAfterMs ?? 5_000);
    case "daily":
      return f.retryAfterMs !== undefined ? now + f.retryAfterMs : nextReset(timeZone, now);
    case "auth":
      return now + AUTH_COOLDOWN_MS;
    default:
      return now + 5_000; // transient trouble: worth another try shortly
  }
}

/**
 * The 503 for "nothing can serve this now". It names what failed but not the provider's own words, which can
 * carry account details; Retry-After is the earliest moment a candidate can admit.
 */
function unavailable(tried: string[], last: { result: Failed; model: ModelSpec } | null, retryAt: number, now: number): HttpError {
  const because = last ? ` Last failure: ${last.model.id} — ${FAILURE_TEXT[last.result.failure]}${last.result.status ? ` (HTTP ${last.result.status})` : ""}.` : "";
  const allFailed = tried.length > 0 && last !== null;
  return new HttpError(
    503,
    allFailed
      ? `Every model that could serve this request failed or is out of capacity (tried ${tried.join(", ")}).${because}`
      : "No capable model can take this request right now; retry after the Retry-After delay.",
    {
      type: "service_unavailable",
      code: allFailed ? "upstream_failed" : "no_capacity",
      headers: { "retry-after": retryAfterSeconds(retryAt, now), "x-freeway-attempts": String(tried.length) },
    },
  );
}

const FAILURE_TEXT: Record<Failed["failure"], string> = {
  throttle: "rate limited",
  daily: "daily allowance used up",
  auth: "key or account refused",
  too_large: "request too large for its limits",
  transient: "provider error, timeout or broken answer",
  context_length: "prompt too long",
  caller: "request refused",
};
