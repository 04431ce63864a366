// The OpenAI-shaped base every provider builds on; dialects override only where their provider differs.

import type { RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type ChatMessage, type ChatRequest, type Json, type JsonObject } from "../validate.ts";
import { retryAfterMs } from "./headers.ts";
import type { Adapter, Classified, EmbedInput, Embedded, NormalizedError, UpstreamCall, Usage, Vector } from "./types.ts";
import { RawFloats } from "../embeddings/vectors.ts";

/** Request fields that belong to freeway, never to a provider. */
const OWN_FIELDS = new Set(["models", "freeway"]);

const CONTEXT_RE = /context[_ ]length|context window|maximum context|too many tokens|maximum number of tokens|input token count|prompt is too long|reduce the length/i;
const POLICY_RE = /content[_ ]policy|moderation|flagged|safety|prohibited|blocked by|refus/i;
const UNSUPPORTED_RE = /not supported|unsupported|is not available for|does not support|unrecognized|unknown (?:field|parameter)|additional properties|extra inputs/i;
const TOO_LARGE_RE = /request too large|payload too large|too large for/i;
/** A key the provider does not accept, told as a 400 (Gemini's "API key not valid", reason API_KEY_INVALID). */
const BAD_KEY_RE = /api[_ ]key[_ ]invalid|api key not valid|invalid api[_ ]key|incorrect api key|api key (?:has )?expired/i;
/** An allowance used up (OpenAI's insufficient_quota): it comes back with the provider's reset, not in seconds. */
const QUOTA_GONE_RE = /per day|daily|quota exceeded for the day|insufficient_quota/i;

function str(v: unknown): string | null {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : null;
}

export class OpenAIAdapter implements Adapter {
  readonly dialect: Dialect = "openai";
  readonly supportsN: boolean = true;
  /** request fields this provider rejects (PROVIDERS.md §12.4); dropped before sending */
  protected readonly rejected: readonly string[] = [];
  /** the provider wants message content as a string, not an array of text parts */
  protected readonly textOnlyContent: boolean = false;
  /** the one field this provider reads for the answer's length: the other one is sent under its name (§12.4) */
  protected readonly lengthField: "max_tokens" | "max_completion_tokens" | null = null;
  /** the provider has no `developer` role: such messages go as `system` (Cerebras, PROVIDERS.md §4) */
  protected readonly developerAsSystem: boolean = false;

  chatRequest(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean, signal: AbortSignal): UpstreamCall {
    const body = this.prepare(req, model, provider, stream);
    return {
      url: `${provider.url}/chat/completions`,
      init: { method: "POST", headers: this.headers(provider), body: JSON.stringify(body), signal },
    };
  }

  /** Plain objects, not Headers: building a Headers instance costs more than the runtime's own conversion. */
  protected headers(provider: ResolvedProvider): Record<string, string> {
    const h: Record<string, string> = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    if (provider.key) h.authorization = `Bearer ${provider.key}`;
    return h;
  }

  /** The body this provider gets: the caller's fields minus ours, the upstream model name, sane token limits. */
  protected prepare(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean): JsonObject {
    const body: JsonObject = {};
    for (const [k, v] of Object.entries(req)) if (!OWN_FIELDS.has(k) && v !== undefined) body[k] = v;
    body.model = model.upstream;
    if (stream) {
      body.stream = true;
      // Always ask for usage: accounting needs it even when the caller did not ask (we strip it again then).
      body.stream_options = { ...(isObject(req.stream_options) ? req.stream_options : {}), include_usage: true };
    } else {
      delete body.stream;
      delete body.stream_options;
    }
    const asked = typeof req.max_completion_tokens === "number" ? req.max_completion_tokens : typeof req.max_tokens === "number" ? req.max_tokens : undefined;
    if (asked !== undefined && asked > model.maxOutput && model.maxOutput > 0) {
      // Asking for more than the model can produce is a 400 on most providers; the answer is capped either way.
      if (typeof body.max_completion_tokens === "number") body.max_completion_tokens = model.maxOutput;
      if (typeof body.max_tokens === "number") body.max_tokens = model.maxOutput;
    } else if (asked === undefined) {
      const fill = provider.defaultMaxTokens ?? provider.capMaxTokens;
      if (fill !== undefined) body.max_tokens = Math.min(fill, model.maxOutput || fill);
    }
    if (this.lengthField) {
      const other = this.lengthField === "max_tokens" ? "max_completion_tokens" : "max_tokens";
      if (body[other] !== undefined) body[this.lengthField] ??= body[other];
      delete body[other];
    }
    for (const k of this.rejected) delete body[k];
    let messages: ChatMessage[] = req.messages;
    if (this.developerAsSystem && messages.some((m) => m.role === "developer")) messages = messages.map((m): ChatMessage => (m.role === "developer" ? { ...m, role: "system" } : m));
    if (this.textOnlyContent) messages = this.flattenText(messages);
    if (messages !== req.messages) body.messages = messages as JsonObject[];
    return body;
  }

  /** Replace content arrays that hold only text by plain strings (some providers accept strings only). */
  protected flattenText(messages: ChatMessage[]): ChatMessage[] {
    return messages.map((m) => {
      if (!Array.isArray(m.content) || !m.content.every((p) => p.type === "text")) return m;
      return { ...m, content: m.content.map((p) => String(p.text)).join("") };
    });
  }

  normalizeError(status: number, text: string): NormalizedError {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // Gemini's OpenAI layer wraps the error in an array.
    if (Array.isArray(parsed)) parsed = parsed[0];
    // Cut generously: what reaches the caller is redacted whole, then cut; cutting first could split a key in two
    // where redaction no longer recognises it.
    const base: NormalizedError = { status, message: text.slice(0, 8000) || `HTTP ${status}`, type: null, code: null, param: null, providerCode: null };
    if (!isObject(parsed)) return base;
    const e = isObject(parsed.error) ? parsed.error : parsed;
    const message =
      str(e.message) ?? str(e.detail) ?? str(e.title) ?? str(e.description) ?? (typeof parsed.error === "string" ? parsed.error : null) ?? base.message;
    const out: NormalizedError = {
      status,
      message,
      type: str(e.type) ?? str(e.status),
      code: typeof e.code === "string" ? e.code : null,
      param: str(e.param),
      providerCode: typeof e.code === "number" ? String(e.code) : null,
    };
    return this.refineError(out, parsed, e);
  }

  /** Dialect hook: read provider-specific codes out of the parsed body. */
  protected refineError(err: NormalizedError, _body: JsonObject, _error: JsonObject): NormalizedError {
    return err;
  }

  classify(err: NormalizedError, headers: Headers, now: number): Classified {
    const retry = retryAfterMs(headers, now) ?? err.bodyRetryMs;
    const s = err.status;
    const text = `${err.message} ${err.code ?? ""} ${err.type ?? ""} ${err.providerCode ?? ""}`;
    if (s === 429) {
      const daily = this.isDaily(err, headers);
      return {
        failure: daily ? "daily" : "throttle",
        scope: this.scopeOf(err, daily),
        retryAfterMs: daily ? this.dailyRetryMs(err, headers, now) : retry,
      };
    }
    if (s === 413 || TOO_LARGE_RE.test(err.message)) return { failure: "too_large", scope: "model" };
    // Refused to this account for this model alone (a 403 for terms not accepted waits as long as a refused key).
    if (s === 404 || this.notServed(err)) return { failure: s === 403 ? "auth" : "transient", scope: "model", gone: true };
    if (s === 401 || s === 402) return { failure: "auth", scope: "model" };
    if (s === 403) return POLICY_RE.test(text) ? { failure: "caller", scope: "model" } : { failure: "auth", scope: "model" };
    if (s === 400 || s === 422) {
      // The provider's key, not the caller's request: every call there would fail the same way.
      if (BAD_KEY_RE.test(text)) return { failure: "auth", scope: "model" };
      if (CONTEXT_RE.test(text)) return { failure: "context_length", scope: "model" };
      if (POLICY_RE.test(text)) return { failure: "caller", scope: "model" };
      // A parameter this provider rejects is its limitation, not the caller's mistake: skip it for this request.
      if (UNSUPPORTED_RE.test(text)) return { failure: "too_large", scope: "model" };
      return { failure: "caller", scope: "model" };
    }
    return { failure: "transient", scope: "model", retryAfterMs: retry };
  }

  /**
   * Dialect hook: does this error say the provider does not serve this model to us now (besides a 404)? A model
   * retired since the catalog was written answers so, and only its siblings can serve.
   */
  protected notServed(err: NormalizedError): boolean {
    return err.code === "model_decommissioned" || err.code === "model_not_found";
  }

  /** Dialect hook: does this 429 mean the daily allowance is gone? */
  protected isDaily(err: NormalizedError, _headers: Headers): boolean {
    return QUOTA_GONE_RE.test(`${err.message} ${err.code ?? ""} ${err.type ?? ""}`);
  }

  /** Dialect hook: how long a daily exhaustion lasts, when the provider says (undefined → its midnight). */
  protected dailyRetryMs(_err: NormalizedError, _headers: Headers, _now: number): number | undefined {
    return undefined;
  }

  /** Dialect hook: does this 429 concern the account-wide pool? */
  protected scopeOf(_err: NormalizedError, _daily: boolean): "model" | "pool" {
    return "model";
  }

  rateInfo(_headers: Headers): RateInfo | undefined {
    return undefined;
  }

  usage(obj: JsonObject): Usage | undefined {
    const u = obj.usage;
    if (!isObject(u)) return undefined;
    // A count below zero (a broken host) would hand tokens back to the limits: it is no count.
    const prompt = typeof u.prompt_tokens === "number" && u.prompt_tokens >= 0 ? u.prompt_tokens : undefined;
    const completion = typeof u.completion_tokens === "number" && u.completion_tokens >= 0 ? u.completion_tokens : undefined;
    if (prompt === undefined && completion === undefined) return undefined;
    const cached = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details.cached_tokens : undefined;
    return { prompt: prompt ?? 0, completion: completion ?? 0, ...(typeof cached === "number" && cached > 0 ? { cached } : {}) };
  }

  streamError(chunk: JsonObject): NormalizedError | undefined {
    const e = chunk.error;
    const choices = chunk.choices;
    const finishError = Array.isArray(choices) && choices.some((c) => isObject(c) && c.finish_reason === "error");
    // Some servers put "error": null on every chunk (Foundry Local): no error.
    if ((e === undefined || e === null) && !finishError) return undefined;
    const status = typeof chunk.status_code === "number" ? chunk.status_code : isObject(e) && typeof e.code === "number" ? e.code : 502;
    return this.normalizeError(status, JSON.stringify(e === undefined || e === null ? { error: { message: "stream ended with finish_reason error" } } : { error: e as Json }));
  }

  embedRequest(e: EmbedInput, model: ModelSpec, provider: ResolvedProvider, signal: AbortSignal): UpstreamCall {
    return {
      url: `${provider.url}/embeddings`,
      init: { method: "POST", headers: this.headers(provider), body: JSON.stringify(this.embedBody(e, model)), signal },
    };
  }

  /** Plain OpenAI-compatible providers (custom ones) get the caller's request as asked, for one batch. */
  protected embedBody(e: EmbedInput, model: ModelSpec): JsonObject {
    const body: JsonObject = { ...e.extra, model: model.upstream, input: e.input };
    if (e.dimensions !== undefined) body.dimensions = e.dimensions;
    if (e.encodingFormat !== undefined) body.encoding_format = e.encodingFormat;
    if (e.user !== undefined) body.user = e.user;
    return body;
  }

  parseEmbeddings(body: JsonObject, count: number): Embedded | string {
    const data = body.data;
    if (!Array.isArray(data)) return "the provider's answer has no data list";
    if (data.length !== count) return `the provider returned ${data.length} vectors for ${count} inputs`;
    const vectors: Vector[] = new Array<Vector>(count);
    for (const [i, d] of data.entries()) {
      if (!isObject(d)) return "the provider's answer holds something that is not an embedding";
      const index = typeof d.index === "number" ? d.index : i;
      if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) return "the provider's answer has a wrong or repeated index";
      const v = asVector(d.embedding);
      if (v === null) return "the provider's answer holds an embedding that is neither numbers nor base64";
      vectors[index] = v;
    }
    const u = body.usage;
    const tokens = isObject(u) ? (typeof u.prompt_tokens === "number" ? u.prompt_tokens : typeof u.total_tokens === "number" ? u.total_tokens : undefined) : undefined;
    return { vectors, tokens };
  }
}

/** A vector as sent: a non-empty list of finite numbers or a base64 string. */
export function asVector(v: unknown): Vector | null {
  if (typeof v === "string") return v.length > 0 ? v : null;
  // Lifted out of the answer's text before parsing: already checked to be a non-empty list of JSON numbers.
  if (v instanceof RawFloats) return v;
  if (!Array.isArray(v) || v.length === 0) return null;
  for (const x of v) if (typeof x !== "number" || !Number.isFinite(x)) return null;
  return v as number[];
}
