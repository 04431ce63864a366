// POST /v1/chat/completions: validate, pick candidates, then auction → attempt → fail over until one answers.

import { catalogFor } from "../shared/catalog/index.ts";
import type { ModelSpec } from "../shared/catalog/types.ts";
import { adapterFor } from "./adapters/index.ts";
import { auction } from "./auction.ts";
import { readJson } from "./body.ts";
import { resolveCandidates, needsOf } from "./candidates.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { settingsFor } from "./settings.ts";
import { countRequest } from "./stats.ts";
import { DEFAULT_EXPECTED_OUTPUT, estimatePrompt, requestedMaxTokens } from "./tokens.ts";
import { attempt, type AttemptResult } from "./upstream.ts";
import { validateChat } from "./validate.ts";
import { Watchdog } from "./watchdog.ts";

type Failed = Extract<AttemptResult, { kind: "failed" }>;

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

export async function chatCompletions(request: Request, env: Env, ctx: ExecutionContext, requestId: string): Promise<Response> {
  const started = Date.now();
  countRequest();
  const settings = settingsFor(env);
  const catalog = catalogFor(env);
  const req = validateChat(await readJson(request, settings.maxBodyBytes));
  const prompt = estimatePrompt(req);
  const maxTokens = requestedMaxTokens(req);
  const needs = needsOf(req, prompt.tokens, prompt.images, maxTokens);
  const dialectOf = (m: ModelSpec): ReturnType<typeof adapterFor> => adapterFor(catalog.providers.get(m.provider)?.dialect ?? "openai");
  const { groups, preset } = resolveCandidates(catalog, req, needs, (m) => dialectOf(m).supportsN);
  const excluded = new Set<string>();
  const all = groups.flat();
  const tried: string[] = [];
  let lastCallerError: HttpError | null = null;
  let lastFailure: Failed | null = null;
  let rpcs = 0;
  // The request's one timer, shared by the auctions and the attempts (see watchdog.ts).
  const watchdog = new Watchdog(Date.now() + settings.bidDeadlineMs);

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
      const because = lastFailure ? ` Last failure: ${lastFailure.message}` : "";
      if (tried.length > 0 && !Number.isFinite(win.retryAt)) break; // every candidate was tried and failed
      throw new HttpError(503, `No capable model can take this request right now; retry after the Retry-After delay.${because}`, {
        type: "service_unavailable",
        code: "no_capacity",
        headers: { "retry-after": retryAfterSeconds(win.retryAt, now), "x-freeway-attempts": String(tried.length) },
      });
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
      watchdog,
      headers: {
        "x-request-id": requestId,
        "x-freeway-provider": provider.id,
        "x-freeway-model": model.id,
        "x-freeway-attempts": String(tried.length),
        "x-freeway-rpcs": String(rpcs),
      },
    });
    if (result.kind === "ok") return result.response; // the attempt stops the watchdog when its answer is done
    rpcs++; // a failure is reported at once; a success rides along with a later bid
    lastFailure = result;
    excluded.add(model.id);
    switch (result.failure) {
      case "caller":
        throw callerError(result, model);
      case "context_length":
        // Only larger windows are worth trying; remember the error in case none is left.
        lastCallerError = callerError(result, model);
        for (const m of all) if (m.context <= model.context) excluded.add(m.id);
        break;
      case "auth":
      case "transient":
        // A provider that errors or refuses our key is likely down for all its models: skip them for this request.
        for (const m of all) if (m.provider === model.provider) excluded.add(m.id);
        break;
      default:
        break;
    }
  }
  watchdog.stop();
  if (lastCallerError) throw lastCallerError;
  throw new HttpError(503, `Every attempt failed (${tried.join(", ")}).${lastFailure ? ` Last failure: ${lastFailure.message}` : ""}`, {
    type: "service_unavailable",
    code: "upstream_failed",
    headers: { "retry-after": "5", "x-freeway-attempts": String(tried.length) },
  });
}
