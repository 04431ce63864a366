// The fake of all eight providers: routes, auth, scripted faults, limits and answers, plus its control API.

import type { Dialect, Limits, ModelSpec } from "../../shared/catalog/types.ts";
import { findModel, modelsOf, poolSpec, rollingDay } from "./catalog.ts";
import type { ChatPlan } from "./chat.ts";
import { divergePieces, lastUserText, trailingPrefill } from "./answer.ts";
import { checkAgainstModel, planChat, validateChat } from "./chat.ts";
import { completionBody, completionFrames, errorFrame, malformedFrame, replyMeta } from "./chunks.ts";
import type { Tracker } from "./delivery.ts";
import { faultyJsonBody, jsonResponse, sseBody } from "./delivery.ts";
import type { RateLimitInfo, SimError } from "./dialects.ts";
import {
  authError,
  contentPolicyError,
  contextLengthError,
  dialectError,
  invalidRequest,
  modelNotFound,
  rateLimitError,
  statusError,
  successHeaders,
  tooLargeError,
} from "./dialects.ts";
import { embeddingBody, isEmbedPlan, nativeEmbeddingBody, planEmbeddings } from "./embeddings.ts";
import type { Bucket, Snapshot, Violation } from "./limits.ts";
import { LimitCounters } from "./limits.ts";
import type { Mount, Route } from "./routes.ts";
import { matchRoute } from "./routes.ts";
import { control } from "./control.ts";
import { RequestLog } from "./log.ts";
import type { LogEntry, SimConfig, SimFault, SimRule, SimStats } from "./types.ts";
import { DEFAULT_CONFIG } from "./types.ts";
import type { JsonObject } from "./util.ts";
import { FOREVER_MS, resetError, isRecord, sleep, utcDayStart } from "./util.ts";

/** Cerebras reserves max_completion_tokens against TPM up front, 16,384 when absent (PROVIDERS.md §4). */
const CEREBRAS_RESERVATION = 16_384;
/** Stand-in numbers for a scripted 429 on a model whose catalog entry has no such limit. */
const FALLBACK_LIMIT = { minute: 30, day: 1000 };

export interface SimulatorOptions {
  config?: Partial<SimConfig>;
  /** clock, for tests of day rollover */
  now?: () => number;
}

type StoredRule = SimRule & { id: string };

export class Simulator {
  private cfg: SimConfig;
  private readonly initial: Partial<SimConfig>;
  private rules: StoredRule[] = [];
  private ruleSeq = 0;
  private readonly overrides = new Map<string, Limits>();
  private readonly counters = new LimitCounters();
  private readonly requests = new RequestLog();
  private readonly now: () => number;
  /** log entries of native Gemini calls, whose bodies differ from the compat layer's */
  private readonly native = new WeakSet<LogEntry>();

  constructor(opts: SimulatorOptions = {}) {
    this.initial = opts.config ?? {};
    this.cfg = { ...DEFAULT_CONFIG, ...this.initial };
    this.now = opts.now ?? Date.now;
  }

  // ---- control, in process ----

  /** Adds rules (checked in insertion order); returns their ids. */
  addRules(rules: SimRule | readonly SimRule[]): string[] {
    const list: readonly SimRule[] = Array.isArray(rules) ? rules : [rules as SimRule];
    return list.map((r) => {
      const id = r.id ?? `rule-${++this.ruleSeq}`;
      this.rules.push({ ...r, id });
      return id;
    });
  }

  addRule(rule: SimRule): string {
    return this.addRules([rule])[0] ?? "";
  }

  listRules(): SimRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Removes one rule by id, or all of them; returns how many went. */
  clearRules(id?: string): number {
    const before = this.rules.length;
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
    return before - this.rules.length;
  }

  /** Reads the settings, changing the given ones first. */
  config(patch: Partial<SimConfig> = {}): SimConfig {
    this.cfg = { ...this.cfg, ...patch };
    return { ...this.cfg };
  }

  /**
   * Replaces the limits of one model (`${provider}/${upstream}`) or pool (`openrouter:free`);
   * null goes back to the catalog. Overrides apply even with `limits: "off"`.
   */
  setLimits(modelId: string, limits: Limits | null): void {
    if (limits === null) this.overrides.delete(modelId);
    else this.overrides.set(modelId, { ...limits });
  }

  stats(): SimStats {
    return this.requests.stats();
  }

  /** Log entries with seq > since (the last 10,000 at most; seq keeps counting across reset). */
  log(since = 0): LogEntry[] {
    return this.requests.list(since);
  }

  /** Rules, counters, log, stats, overrides and settings back to their defaults. */
  reset(): void {
    this.rules = [];
    this.overrides.clear();
    this.counters.clear();
    this.requests.clear();
    this.cfg = { ...DEFAULT_CONFIG, ...this.initial };
  }

  // ---- HTTP ----

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/_sim" || url.pathname.startsWith("/_sim/")) return control(this, request, url);
    const route = matchRoute(url.pathname);
    if (!route) return jsonResponse(404, { error: `no simulator route for ${url.pathname}` });
    return this.provider(request, route, url);
  }

  // ---- provider requests ----

  private async provider(request: Request, route: Route, url: URL): Promise<Response> {
    const { mount, endpoint } = route;
    const d = mount.dialect;
    const entry = this.requests.open(mount.id, endpoint ?? "unknown", this.now());
    const signal = request.signal;
    if (!endpoint) return this.fail(entry, dialectError(d, 404, `Unknown request URL: ${request.method} ${url.pathname}`), signal);
    if (request.method !== (endpoint === "models" ? "GET" : "POST")) {
      return this.fail(entry, dialectError(d, 405, `Method ${request.method} not allowed on ${url.pathname}`), signal);
    }
    const denied = checkAuth(d, request.headers);
    if (denied) return this.fail(entry, denied, signal);
    if (endpoint === "models") {
      await this.wait(entry, this.cfg.latencyMs, signal);
      return this.done(entry, jsonResponse(200, modelList(mount)));
    }

    let body: unknown;
    try {
      body = JSON.parse(await request.text());
    } catch {
      return this.fail(entry, invalidRequest(d, "We could not parse the JSON body of your request."), signal);
    }
    entry.body = body;
    if (!isRecord(body)) return this.fail(entry, invalidRequest(d, "The request body must be a JSON object."), signal);
    entry.model = typeof body["model"] === "string" ? body["model"] : "";
    entry.stream = endpoint === "chat" && body["stream"] === true;

    if (route.nativeModel !== undefined) {
      entry.model = route.nativeModel;
      this.native.add(entry);
    }
    const prefill = endpoint === "chat" && Array.isArray(body["messages"]) && trailingPrefill(body["messages"]) !== undefined;
    const fault = this.takeFault(mount.id, entry.model, prefill);
    if (fault) entry.fault = fault.kind;
    const early = await this.earlyFault(entry, mount, body, fault, signal);
    if (early) return early;
    if (route.nativeModel !== undefined) return this.nativeEmbeddings(entry, mount, body, fault, signal);
    return endpoint === "chat" ? this.chat(entry, mount, body, fault, signal) : this.embeddings(entry, mount, body, fault, signal);
  }

  /**
   * Gemini's native `models/{m}:batchEmbedContents` (PROVIDERS.md §3b): `requests[]` of `{model, content.parts,
   * outputDimensionality?, taskType?}`, each naming the URL's model; the answer is `{embeddings: [{values}]}`.
   */
  private async nativeEmbeddings(entry: LogEntry, mount: Mount, body: JsonObject, fault: SimFault | undefined, signal: AbortSignal): Promise<Response> {
    const d = mount.dialect;
    const requests = body["requests"];
    if (!Array.isArray(requests) || requests.length === 0) {
      return this.fail(entry, invalidRequest(d, "* BatchEmbedContentsRequest.requests: must contain at least one request"), signal);
    }
    const input: string[] = [];
    let dims: unknown;
    for (const [i, r] of requests.entries()) {
      if (!isRecord(r) || r["model"] !== `models/${entry.model}`) {
        return this.fail(entry, invalidRequest(d, `* BatchEmbedContentsRequest.requests[${i}].model: the model in each request must be the model in the URL (models/${entry.model})`), signal);
      }
      const content = r["content"];
      const parts = isRecord(content) && Array.isArray(content["parts"]) ? content["parts"] : [];
      input.push(parts.map((p) => (isRecord(p) && typeof p["text"] === "string" ? p["text"] : "")).join(""));
      if (i === 0) dims = r["outputDimensionality"];
      else if (r["outputDimensionality"] !== dims) {
        return this.fail(entry, invalidRequest(d, `* BatchEmbedContentsRequest.requests[${i}].outputDimensionality: differs from requests[0] (the simulator serves one size per call)`), signal);
      }
    }
    return this.embeddings(entry, mount, { model: entry.model, input, ...(dims !== undefined && dims !== null ? { dimensions: dims } : {}) }, fault, signal);
  }

  /** Faults that replace the answer altogether. */
  private async earlyFault(entry: LogEntry, mount: Mount, body: JsonObject, fault: SimFault | undefined, signal: AbortSignal): Promise<Response | undefined> {
    if (!fault) return undefined;
    const d = mount.dialect;
    const model = entry.model;
    const spec = findModel(mount.id, model, "chat") ?? findModel(mount.id, model, "embedding");
    switch (fault.kind) {
      case "reset":
        await this.wait(entry, this.cfg.latencyMs, signal);
        this.requests.settle(entry, 0);
        throw resetError();
      case "hang":
        this.requests.settle(entry, 0);
        try {
          await sleep(FOREVER_MS, signal);
        } catch (e) {
          entry.aborted = true;
          throw e;
        }
        throw resetError();
      case "rate_limit":
        return this.fail(entry, this.scriptedRateLimit(d, mount.id, model, spec, fault, entry.endpoint === "embeddings"), signal);
      case "status":
        return this.fail(entry, fault.plain ? { status: fault.status, body: null, text: fault.message ?? "" } : statusError(d, fault.status, fault.message, fault.code), signal);
      case "context_length": {
        const context = spec?.context ?? 8192;
        const messages = Array.isArray(body["messages"]) ? body["messages"] : [];
        return this.fail(entry, contextLengthError(d, model, context + Math.max(1, messages.length * 100), context), signal);
      }
      case "content_policy":
        return this.fail(entry, contentPolicyError(d, model), signal);
      case "too_large": {
        const limit = spec?.limits.tpm ?? 6000;
        return this.fail(entry, tooLargeError(d, model, limit, limit * 2), signal);
      }
      case "reject_prefill":
        return this.fail(entry, invalidRequest(d, "this model does not accept an assistant prefill", "messages"), signal);
      default:
        return undefined;
    }
  }

  private async chat(entry: LogEntry, mount: Mount, body: JsonObject, fault: SimFault | undefined, signal: AbortSignal): Promise<Response> {
    const d = mount.dialect;
    const invalid = validateChat(d, body);
    if (invalid) return this.fail(entry, invalid, signal);
    const spec = findModel(mount.id, entry.model, "chat");
    if (!spec) return this.fail(entry, modelNotFound(d, entry.model), signal);
    if (spec.kind !== "chat") return this.fail(entry, invalidRequest(d, `${entry.model} does not support chat completions`, "model"), signal);
    const refused = checkAgainstModel(d, body, spec);
    if (refused) return this.fail(entry, refused, signal);

    const plan = planChat(d, body);
    if (fault?.kind === "diverge" && !plan.toolCall) {
      plan.pieces = divergePieces(plan.pieces, fault.afterTokens ?? 0, lastUserText(Array.isArray(body["messages"]) ? body["messages"] : []));
    }
    // Cerebras holds the whole reservation against TPM, which is why the gateway must cap max_completion_tokens;
    // Gemini's free-tier TPM counts input tokens only (PROVIDERS.md §3b); Groq's limits skip cached tokens (§2).
    const counted = d === "groq" ? plan.promptTokens - plan.cachedTokens : plan.promptTokens;
    const spent = counted + (d === "cerebras" ? cerebrasReservation(body) : d === "gemini" ? 0 : plan.completionTokens);
    const admitted = this.admit(entry, mount, spec, spent, false);
    if ("status" in admitted) return this.fail(entry, admitted, signal);
    const { headers, release } = admitted;

    const now = this.now();
    const meta = replyMeta(d, entry.model, entry.seq, now);
    try {
      await this.wait(entry, this.cfg.latencyMs, signal);
    } catch (e) {
      release();
      throw e;
    }
    if (!plan.stream) return this.deliverJson(entry, d, completionBody(meta, plan), headers, fault, plan, release, signal);

    const tracker = this.tracker(entry, signal, release);
    const stream = sseBody(
      completionFrames(meta, plan),
      { fault, tokenIntervalMs: this.cfg.tokenIntervalMs, errorFrame: errorFrame(meta), malformedFrame: malformedFrame(meta) },
      tracker,
    );
    this.requests.settle(entry, 200);
    return new Response(stream, {
      status: 200,
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers },
    });
  }

  private async embeddings(entry: LogEntry, mount: Mount, body: JsonObject, fault: SimFault | undefined, signal: AbortSignal): Promise<Response> {
    const d = mount.dialect;
    if (entry.model === "") return this.fail(entry, invalidRequest(d, "you must provide a model parameter", "model"), signal);
    const spec = findModel(mount.id, entry.model, "embedding");
    if (!spec) return this.fail(entry, modelNotFound(d, entry.model), signal);
    if (spec.kind !== "embedding") return this.fail(entry, invalidRequest(d, `${entry.model} does not support embeddings`, "model"), signal);
    const plan = planEmbeddings(d, body, spec);
    if (!isEmbedPlan(plan)) return this.fail(entry, plan, signal);
    const admitted = this.admit(entry, mount, spec, plan.tokens, true);
    if ("status" in admitted) return this.fail(entry, admitted, signal);
    try {
      await this.wait(entry, this.cfg.latencyMs, signal);
    } catch (e) {
      admitted.release();
      throw e;
    }
    const payload = this.native.has(entry) ? nativeEmbeddingBody(spec, plan) : embeddingBody(d, spec, plan);
    return this.deliverJson(entry, d, payload, admitted.headers, fault, undefined, admitted.release, signal);
  }

  /** A JSON answer, with the faults that apply to a non-streamed body. */
  private async deliverJson(
    entry: LogEntry,
    d: Dialect,
    payload: JsonObject,
    headers: Record<string, string>,
    fault: SimFault | undefined,
    plan: ChatPlan | undefined,
    release: () => void,
    signal: AbortSignal,
  ): Promise<Response> {
    if (fault?.kind === "error_chunk") {
      release();
      return this.fail(entry, statusError(d, 500), signal, false);
    }
    if (fault?.kind === "slow") {
      try {
        await sleep(fault.firstTokenMs, signal);
      } catch (e) {
        release();
        this.requests.abandon(entry);
        throw e;
      }
    }
    this.requests.settle(entry, 200);
    const all = { "content-type": "application/json", ...headers };
    const text = JSON.stringify(payload);
    if (fault && (fault.kind === "cut" || fault.kind === "stall" || fault.kind === "malformed")) {
      return new Response(faultyJsonBody(text, fault, this.tracker(entry, signal, release)), { status: 200, headers: all });
    }
    entry.tokensSent = plan?.completionTokens ?? 0;
    release();
    return new Response(text, { status: 200, headers: all });
  }

  // ---- limits ----

  private buckets(provider: string, spec: ModelSpec): Bucket[] {
    const catalog = this.cfg.limits === "catalog";
    const out: Bucket[] = [];
    const rolling = rollingDay(provider);
    const modelLimits = this.overrides.get(spec.id) ?? (catalog ? spec.limits : undefined);
    if (modelLimits) out.push({ key: `${provider}/${spec.upstream}`, limits: modelLimits, pool: false, rolling });
    if (spec.pool) {
      const poolLimits = this.overrides.get(spec.pool) ?? (catalog ? poolSpec(spec.pool)?.limits : undefined);
      if (poolLimits) out.push({ key: `pool:${spec.pool}`, limits: poolLimits, pool: true, rolling });
    }
    return out;
  }

  /** Checks and counts a request; the success headers and a release for the in-flight count, or the 429. */
  private admit(
    entry: LogEntry,
    mount: Mount,
    spec: ModelSpec,
    tokens: number,
    embeddings: boolean,
  ): SimError | { headers: Record<string, string>; release: () => void } {
    const now = this.now();
    const buckets = this.buckets(mount.id, spec);
    const violation = this.counters.check(buckets, tokens, now);
    const own = buckets.find((b) => !b.pool);
    if (violation) {
      entry.limited = true;
      return this.limitError(mount.dialect, spec, violation, own, now, embeddings);
    }
    this.counters.commit(buckets, tokens, now);
    const release = this.counters.acquire(buckets);
    const headers = own ? successHeaders(mount.dialect, this.counters.snapshot(own, now), now) : {};
    return { headers, release };
  }

  private limitError(d: Dialect, spec: ModelSpec, v: Violation, own: Bucket | undefined, now: number, embeddings: boolean): SimError {
    if (v.tooLarge && d === "groq") return tooLargeError(d, spec.upstream, v.limit, v.requested);
    const seconds = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
    // Workers AI's 3021 carries retry-after: 1; its daily 3036 none (PROVIDERS.md §9c).
    const retryAfter = d === "workers-ai" ? (v.scope === "minute" ? 1 : undefined) : seconds;
    const snapshot = own ? this.counters.snapshot(own, now) : {};
    const info: RateLimitInfo = {
      model: spec.upstream,
      scope: v.scope,
      metric: v.metric,
      limit: v.limit,
      used: v.used,
      requested: v.requested,
      retryAfter,
      waitMs: Math.max(1, v.retryAfterMs),
      embeddings,
      snapshot,
      now,
    };
    return rateLimitError(d, info);
  }

  private scriptedRateLimit(d: Dialect, provider: string, model: string, spec: ModelSpec | undefined, fault: Extract<SimFault, { kind: "rate_limit" }>, embeddings: boolean): SimError {
    const now = this.now();
    const scope = fault.scope ?? "minute";
    const limits = spec ? this.buckets(provider, spec).map((b) => b.limits) : [];
    const pick = (k: "rpm" | "rpd"): number | undefined => limits.map((l) => l[k]).find((x) => x !== undefined);
    const limit = (scope === "day" ? pick("rpd") : pick("rpm")) ?? (scope === "day" ? FALLBACK_LIMIT.day : FALLBACK_LIMIT.minute);
    // A rolling day (Groq) has one request's share back after a day / its limit; a calendar one at UTC midnight.
    const dayWait = rollingDay(provider) ? Math.ceil(86_400_000 / limit) : utcDayStart(now) + 86_400_000 - now;
    const waitMs = fault.retryAfter !== undefined ? fault.retryAfter * 1000 : scope === "day" ? dayWait : 60_000;
    const own = spec ? this.buckets(provider, spec).find((b) => !b.pool) : undefined;
    const snapshot: Snapshot = own ? this.counters.snapshot(own, now) : {};
    // The scripted window reads as exhausted in the headers too.
    const empty = { limit, used: limit, remaining: 0, resetMs: waitMs };
    if (scope === "day") {
      snapshot.rpd = { ...(snapshot.rpd ?? empty), remaining: 0, resetMs: waitMs };
      if (snapshot.tpd) snapshot.tpd = { ...snapshot.tpd, remaining: 0 };
    } else {
      snapshot.rpm = { ...(snapshot.rpm ?? empty), remaining: 0, resetMs: waitMs };
    }
    return rateLimitError(d, {
      model,
      scope,
      metric: "requests",
      limit,
      used: limit,
      requested: 1,
      retryAfter: fault.retryAfter,
      waitMs,
      embeddings,
      snapshot,
      now,
    });
  }

  // ---- rules ----

  /** The fault of the first rule that matches, counting it against the rule's `times`. */
  private takeFault(provider: string, model: string, prefill: boolean): SimFault | undefined {
    for (const r of this.rules) {
      if (r.provider !== undefined && r.provider !== provider) continue;
      if (r.model !== undefined && r.model !== model) continue;
      if (r.fault.kind === "reject_prefill" && !prefill) continue;
      if (r.times !== undefined) {
        if (r.times <= 0) continue;
        r.times -= 1;
        if (r.times === 0) this.rules = this.rules.filter((x) => x !== r);
      }
      return r.fault;
    }
    return undefined;
  }

  // ---- responses and bookkeeping ----

  private async wait(entry: LogEntry, ms: number, signal: AbortSignal): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (e) {
      this.requests.abandon(entry);
      throw e;
    }
  }

  private async fail(entry: LogEntry, err: SimError, signal: AbortSignal, withLatency = true): Promise<Response> {
    if (withLatency) await this.wait(entry, this.cfg.latencyMs, signal);
    this.requests.settle(entry, err.status);
    if (err.text !== undefined) return new Response(err.text, { status: err.status, headers: { "content-type": "text/plain", ...err.headers } });
    // Only the compat layer wraps its errors in an array; the native API sends the object itself.
    const body = this.native.has(entry) && Array.isArray(err.body) ? (err.body[0] as unknown) : err.body;
    return jsonResponse(err.status, body, err.headers);
  }

  private done(entry: LogEntry, response: Response): Response {
    this.requests.settle(entry, response.status);
    return response;
  }

  private tracker(entry: LogEntry, signal: AbortSignal, release: () => void): Tracker {
    return {
      signal,
      onToken: () => {
        entry.tokensSent += 1;
      },
      onFinish: (aborted) => {
        if (aborted) entry.aborted = true;
        release();
      },
    };
  }
}

function cerebrasReservation(body: JsonObject): number {
  const max = body["max_completion_tokens"] ?? body["max_tokens"];
  return Math.min(typeof max === "number" ? max : CEREBRAS_RESERVATION, CEREBRAS_RESERVATION);
}

function checkAuth(d: Dialect, headers: Headers): SimError | undefined {
  const auth = headers.get("authorization");
  const goog = headers.get("x-goog-api-key");
  if (d === "gemini" && auth && goog) {
    return dialectError(d, 400, "Multiple authentication credentials received. Please pass only one.");
  }
  const bearer = auth?.match(/^Bearer\s+(\S.*)$/i)?.[1]?.trim();
  const key = bearer ?? (d === "gemini" ? goog ?? undefined : undefined);
  if (!key) return authError(d, true);
  if (key.startsWith("bad")) return authError(d, false);
  return undefined;
}

function modelList(mount: Mount): JsonObject {
  const models = mount.id === "openai" ? [] : modelsOf(mount.id);
  const data = models.map((m) => {
    // Gemini's compat layer lists ids as "models/<name>".
    const item: JsonObject = { id: mount.dialect === "gemini" ? `models/${m.upstream}` : m.upstream, object: "model", created: 0, owned_by: mount.id };
    if (mount.dialect === "groq") Object.assign(item, { active: true, context_window: m.context, max_completion_tokens: m.maxOutput });
    if (mount.dialect === "openrouter") Object.assign(item, { context_length: m.context, pricing: { prompt: "0", completion: "0" } });
    return item;
  });
  if (mount.id === "openai") data.push({ id: "sim-chat", object: "model", created: 0, owned_by: "openai" }, { id: "sim-embed", object: "model", created: 0, owned_by: "openai" });
  return { object: "list", data };
}
