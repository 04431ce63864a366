// POST /v1/chat/completions: validate, pick candidates, then auction → attempt → fail over until one answers.

import type { Pacing } from "../shared/actors.ts";
import { type Catalog, catalogFor, type ResolvedProvider } from "../shared/catalog/index.ts";
import type { ModelSpec, PresetSpec } from "../shared/catalog/types.ts";
import { adapterFor } from "./adapters/index.ts";
import type { Adapter } from "./adapters/types.ts";
import { ample, auction, type NoWinner, releaseWin, remembered, type Winner } from "./auction.ts";
import { coalesce, coalesceKey } from "./coalesce.ts";
import { readJson } from "./body.ts";
import { type CandidateSet, resolveCandidates, needsOf } from "./candidates.ts";
import { admitRequest, allows, chargeTokens, type GatedRequest, keyOf, presume } from "./access.ts";
import type { KeyRecord } from "../shared/access.ts";
import type { Env } from "./env.ts";
import { HttpError } from "./errors.ts";
import { callerError, retryAfterSeconds, retryAtAfter } from "./failures.ts";
import { type Settings, settingsFor } from "./settings.ts";
import type { RequestLog } from "./ledger.ts";
import { heard, report } from "./reports.ts";
import { countRequest } from "./stats.ts";
import { DEFAULT_EXPECTED_OUTPUT, estimatePrompt, requestedMaxTokens } from "./tokens.ts";
import { Relay, type Rescue, type Sent } from "./relay.ts";
import { RouteTrace } from "./route.ts";
import { sentTokens } from "./stream.ts";
import { attempt, type AttemptControl, type AttemptInput, type AttemptResult } from "./upstream.ts";
import { type ChatRequest, isObject, validateChat } from "./validate.ts";
import { Watchdog } from "./watchdog.ts";

type Failed = Extract<AttemptResult, { kind: "failed" }>;

/** Requests shorter than this never pay for watching whether the caller hangs up. */
const WATCH_CALLER_AFTER_MS = 250;

/**
 * Output tokens to reserve against TPM/TPD. Providers that count max_completion_tokens up front (Cerebras) get
 * what they will count (up to their own cap on it); providers whose token limits count the prompt alone (Gemini)
 * nothing; others what a typical answer needs. Real usage corrects it afterwards.
 */
function expectedOutput(m: ModelSpec, provider: ResolvedProvider | undefined, asked: number | undefined): number {
  if (provider?.tokenLimitsCount === "input") return 0;
  const cap = m.maxOutput || DEFAULT_EXPECTED_OUTPUT;
  const upFront = provider?.capMaxTokens;
  if (upFront !== undefined) return Math.min(asked ?? upFront, cap, provider?.reservationCap ?? Infinity);
  return Math.min(asked ?? DEFAULT_EXPECTED_OUTPUT, cap);
}



/** POST /v1/chat/completions: the body is read and validated, then served by `serveChat`. */
export async function chatCompletions(request: Request, env: Env, ctx: ExecutionContext, requestId: string): Promise<Response> {
  const started = Date.now();
  countRequest();
  const gate = (request as GatedRequest).gate;
  // A caller with room to spare goes ahead while its limiter decides: the auction runs meanwhile, and the answer is
  // awaited before the first call upstream (one sequential round of actor calls instead of two).
  let presumed = presume(gate);
  try {
    const req = validateChat(await readJson(request, settingsFor(env).maxBodyBytes, presumed));
    // Requests that may share one upstream call are admitted first: a follower has no call of its own to hold back.
    if (presumed && coalesceKey(req, gate?.limiter ?? presumed.key?.id ?? null) !== null) {
      await admitRequest(request);
      presumed = undefined;
    }
    const context = (confirm: ChatContext["confirm"]): ChatContext => ({
      env,
      ctx,
      requestId,
      signal: request.signal,
      started,
      key: confirm && presumed ? presumed.key : keyOf(request),
      caller: gate?.limiter,
      confirm,
      onUsage: gate ? (tokens) => chargeTokens(env, ctx, gate, tokens) : undefined,
      rpcs: gate?.rpcs ?? 0,
      log: (request as Request & { log?: RequestLog }).log,
    });
    if (!presumed) return await serveChat(req, context(undefined));
    try {
      return await serveChat(req, context(() => admitRequest(request)));
    } catch (e) {
      // Nothing went upstream unless the admission was confirmed with the same grant (else KeyChanged). When the
      // key's allow-list or priority changed since this isolate last saw it, route again with the record now: a
      // refusal or "no capacity" under the old record says nothing about the new one.
      const key = await admitRequest(request);
      if (!(e instanceof KeyChanged) && sameGrant(key, presumed.key)) throw e;
      return await serveChat(req, context(undefined));
    }
  } catch (e) {
    // Whatever else went wrong, a caller its limiter refuses hears that first.
    if (presumed) await admitRequest(request);
    throw e;
  }
}

/** The admission came back with a key record that routes differently from the one presumed. */
class KeyChanged extends Error {}

/** Whether two key records route a request alike (the same key, allow-list and priority). */
function sameGrant(a: KeyRecord | null, b: KeyRecord | null): boolean {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.priority === b.priority && JSON.stringify(a.models ?? null) === JSON.stringify(b.models ?? null);
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
  /** who is asking: the limiter that admitted the request (a key, or one anonymous client); absent: the key */
  caller?: string;
  /**
   * The caller's admission when the request went ahead on a presumed one: awaited once, after the first auction and
   * before anything goes upstream. It throws the caller's 401/429; the auction's reservation is then given back.
   */
  confirm?: () => Promise<KeyRecord | null>;
  /** told the tokens a successful answer used (a key's daily token quota) */
  onUsage?: (tokens: number) => void;
  /** actor calls already made for this request (the client's admission) */
  rpcs?: number;
  /** the request's record in the request log */
  log?: RequestLog;
}

/**
 * Serve a validated chat request: candidates, auction, attempts, hedges, waits, failover and stream rescue.
 * Returns the OpenAI response (JSON or SSE) or throws an HttpError. Other APIs built on chat (the Responses
 * API) call this with their own request.
 */
export async function serveChat(req: ChatRequest, c: ChatContext): Promise<Response> {
  const keyId = c.key?.id ?? null;
  const shared = coalesceKey(req, c.caller ?? keyId);
  if (shared === null) return new ChatRun(req, c).serve();
  const waitUntil = (p: Promise<unknown>): void => c.ctx.waitUntil(p);
  return coalesce(shared, { requestId: c.requestId, signal: c.signal, waitUntil, keyId, onUsage: c.onUsage, log: c.log }, (signal) => {
    // The run goes on for the others when its first caller hangs up; that caller, who gets nothing, pays nothing.
    const onUsage = c.onUsage && ((tokens: number): void => void (c.signal.aborted || c.onUsage?.(tokens)));
    return new ChatRun(req, { ...c, signal, onUsage }).serve();
  });
}

/** An attempt in flight. */
interface Started {
  input: AttemptInput;
  promise: Promise<AttemptResult>;
  model: ModelSpec;
  provider: ResolvedProvider;
  /** its promise has settled */
  settled: boolean;
}

type Answer = Extract<AttemptResult, { kind: "ok" } | { kind: "stream" }>;

/** What the attempts of one round came to: the one that answered, if any, and those that failed. */
type Settled = { won?: Started & { answer: Answer }; failures: Array<{ result: Failed; model: ModelSpec }> };

/** What a round of attempts came to: an answer, or nothing left to try. */
type RunResult = { kind: "won"; answer: Answer; model: ModelSpec; provider: ResolvedProvider } | { kind: "exhausted"; noWinner: NoWinner | null };

/** A margin on a Retry-After we wait out, so the actor's cooldown (set a moment after ours) has ended. */
const WAIT_MARGIN_MS = 100;

/** One chat request on its way through the candidates. */
class ChatRun {
  private readonly settings: Settings;
  private readonly catalog: Catalog;
  private readonly promptTokens: number;
  private readonly maxTokens: number | undefined;
  private readonly groups: ModelSpec[][];
  private readonly preset: PresetSpec;
  private readonly pacing: Pacing | undefined;
  private readonly excluded = new Set<string>();
  private readonly tried: string[] = [];
  private readonly trace: RouteTrace;
  /** the request's one timer, shared by the auctions and the attempts (see watchdog.ts); hedges get their own */
  private readonly watchdog: Watchdog;
  private readonly controls = new Set<AttemptControl>();
  private gone = false;
  private lastCallerError: HttpError | null = null;
  private lastFailure: { result: Failed; model: ModelSpec } | null = null;
  /** when each model that failed in this request can be asked again (its latest failure's word) */
  private readonly failedRetryAt = new Map<string, number>();
  /** the largest context window that refused this prompt as too long */
  private contextRefusedAt = 0;
  private rpcs: number;
  /** models whose Retry-After this request already waited out once */
  private readonly waited = new Set<string>();
  /** after a wait, the next auction asks this model first */
  private only: ModelSpec | null = null;
  /** providers that refused a rescue's prefill: the rest of the rescue does not offer them another */
  private readonly prefillRefused = new Set<string>();
  /** the caller's admission, still to be confirmed before the first call upstream */
  private confirm: ChatContext["confirm"];

  constructor(
    private readonly req: ChatRequest,
    private readonly c: ChatContext,
  ) {
    this.settings = settingsFor(c.env);
    this.catalog = catalogFor(c.env);
    this.confirm = c.confirm;
    const prompt = estimatePrompt(req);
    this.promptTokens = prompt.tokens;
    this.maxTokens = requestedMaxTokens(req);
    const needs = needsOf(req, prompt.tokens, prompt.images, this.maxTokens);
    const set = allowedCandidates(resolveCandidates(this.catalog, req, needs, (m) => this.adapter(m).supportsN), c.key, this.catalog);
    this.groups = set.groups;
    this.preset = set.preset;
    const s = this.settings;
    const high = c.key?.priority === "high";
    this.pacing = s.dailyPacing || s.priorityReservePercent > 0 ? { paced: s.dailyPacing, reserve: s.priorityReservePercent / 100, slack: s.pacingBurstPercent / 100, high } : undefined;
    this.trace = new RouteTrace(c.started);
    this.rpcs = c.rpcs ?? 0;
    this.watchdog = new Watchdog(Date.now() + s.bidDeadlineMs);
    // A caller that hangs up stops the attempt in progress: no free quota spent on an answer nobody reads.
    // Watching costs a little on every request, so it starts only once a request has lasted a moment.
    const signal = c.signal;
    const hangUp = (): void => this.hangUp();
    this.watchdog.checkpoint(c.started + WATCH_CALLER_AFTER_MS, () => {
      if (signal.aborted) hangUp();
      else signal.addEventListener("abort", hangUp, { once: true });
    });
  }

  /** The caller is gone: stop every attempt in progress (a rescue's included) and start no other. */
  private hangUp(): void {
    this.gone = true;
    for (const ctl of this.controls) {
      ctl.gone = true;
      ctl.abort?.();
    }
  }

  private adapter(m: ModelSpec): Adapter {
    return adapterFor(this.catalog.providers.get(m.provider)?.dialect ?? "openai");
  }

  /** Every candidate, only needed when an attempt fails (so not built on the happy path). */
  private all(): ModelSpec[] {
    return this.groups.flat();
  }

  async serve(): Promise<Response> {
    try {
      const r = await this.run(this.req, false);
      if (r.kind === "won") return this.respond(r);
      // The actors' word on this request's failures (a cooldown backed off beyond what the provider said) decides
      // the Retry-After: a caller that waits as told must find the model admitting again.
      if (this.failedRetryAt.size > 0 && !this.gone) {
        await heard(this.failedRetryAt.keys());
        for (const [id, at] of this.failedRetryAt) this.failedRetryAt.set(id, Math.max(at, remembered(id)?.cooldownUntil ?? 0));
      }
      throw this.exhausted(r.noWinner);
    } catch (e) {
      this.watchdog.stop();
      if (e instanceof HttpError) e.headers["x-freeway-route"] = this.trace.header();
      throw e;
    }
  }

  /** Why nothing answered, as the caller's error. */
  private exhausted(noWinner: NoWinner | null): HttpError {
    if (this.gone) return new HttpError(499, "The caller closed the request", { code: "client_closed_request" });
    // "Too long" only when no candidate with a larger window is left: one that was busy or failed can still serve.
    if (this.lastCallerError && !this.all().some((m) => m.context > this.contextRefusedAt)) return this.lastCallerError;
    if (noWinner?.tooLarge && this.tried.length === 0) {
      return new HttpError(413, "The request is larger than the per-minute or per-day token allowance of every model that could serve it", {
        code: "request_too_large",
        param: "messages",
      });
    }
    return unavailable(this.tried, this.lastFailure, Math.min(noWinner?.retryAt ?? Infinity, ...this.failedRetryAt.values()), Date.now());
  }

  private headers(model: ModelSpec, provider: ResolvedProvider): Record<string, string> {
    return {
      "x-request-id": this.c.requestId,
      "x-freeway-provider": provider.id,
      "x-freeway-model": model.id,
      "x-freeway-attempts": String(this.tried.length),
      "x-freeway-rpcs": String(this.rpcs),
      "x-freeway-route": this.trace.header(),
    };
  }

  private traceInBody(): boolean {
    return isObject(this.req.freeway) && this.req.freeway.trace === true;
  }

  private respond(r: Extract<RunResult, { kind: "won" }>): Response {
    const { answer, model, provider } = r;
    const log = this.c.log;
    if (answer.kind === "ok") {
      this.watchdog.stop();
      const { body, usage } = answer;
      this.c.onUsage?.(usage.prompt + usage.completion);
      log?.answered({ model: model.id, provider: provider.id, ttftMs: answer.ttftMs, tokensIn: usage.prompt, tokensOut: usage.completion, streamed: false });
      if (this.traceInBody()) body.freeway = { route: this.trace.json() };
      return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json", ...this.headers(model, provider) } });
    }
    const headers = this.headers(model, provider);
    // More than one choice cannot be continued as one answer: such streams are passed on as they come.
    const rescuable = !(typeof this.req.n === "number" && this.req.n > 1);
    const relay = new Relay(answer.leg, {
      includeUsage: isObject(this.req.stream_options) && this.req.stream_options.include_usage === true,
      rescue: rescuable ? (sent, failure) => this.rescue(sent, failure) : undefined,
      trace: this.trace,
      traceInBody: this.traceInBody(),
      started: this.c.started,
      onCancel: () => this.hangUp(),
      onEnd: (end) => {
        this.watchdog.stop();
        const { usage, leg } = end;
        // The key is charged for the answer it got, up to where it hung up (a client may stop reading at the
        // finish chunk, before the usage); a leg that broke is logged as a failed attempt, not billed.
        if (end.error === null || end.error === "client_closed") this.c.onUsage?.(usage.prompt + usage.completion);
        if (log) {
          log.answered({ model: leg.model, provider: leg.provider, ttftMs: end.ttftMs, tokensIn: usage.prompt, tokensOut: usage.completion, streamed: true });
          log.finish(200, end.error);
        }
      },
    });
    if (log) log.streaming = true; // its record is finished when the stream ends
    // The stream's end (reports, the log) happens after the response; waitUntil keeps the isolate for it.
    this.c.ctx.waitUntil(relay.ended);
    return new Response(relay.readable, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers } });
  }

  /**
   * Continue a committed stream that broke: first on a model that accepts the text sent so far as a prefill,
   * else on any model from the beginning (the relay suppresses what the caller already has). Null when
   * nothing can: the relay then ends with the original failure.
   */
  private async rescue(sent: Sent, _failure: string): Promise<Rescue | null> {
    if (this.gone) return null;
    this.only = null;
    // The broken stream's provider is in trouble: like any transient failure, it sits out the rest of this request.
    for (const id of this.tried) {
      const m = this.catalog.model(id);
      this.excluded.add(id);
      if (m) for (const o of this.all()) if (o.provider === m.provider) this.excluded.add(o.id);
    }
    const prefill = sent.content !== "" && sent.reasoning === "" && sent.refusal === "" && sent.toolCalls.length === 0;
    if (prefill) {
      const takesPrefill = (m: ModelSpec): boolean => this.catalog.providers.get(m.provider)?.prefill === true && !this.prefillRefused.has(m.provider);
      const r = await this.run(this.prefilled(sent), true, takesPrefill);
      if (r.kind === "won" && r.answer.kind === "stream") return { leg: r.answer.leg, mode: "prefill" };
      if (this.gone) return null;
    }
    const r = await this.run(this.req, true);
    if (r.kind === "won" && r.answer.kind === "stream") return { leg: r.answer.leg, mode: "restart" };
    return null;
  }

  /** The request with the text already sent as the assistant's unfinished turn, and what is left of max_tokens. */
  private prefilled(sent: Sent): ChatRequest {
    const out: ChatRequest = { ...this.req, messages: [...this.req.messages, { role: "assistant", content: sent.content }] };
    if (this.maxTokens !== undefined) {
      const left = Math.max(1, this.maxTokens - sentTokens(sent.contentChunks, sent.content.length));
      if (typeof out.max_completion_tokens === "number") out.max_completion_tokens = left;
      if (typeof out.max_tokens === "number") out.max_tokens = left;
    }
    return out;
  }

  /** Auction → attempt (hedged when slow) → handle failures, until an answer or nothing is left. */
  private async run(req: ChatRequest, rescuing: boolean, only?: (m: ModelSpec) => boolean): Promise<RunResult> {
    const { settings } = this;
    const { env, ctx } = this.c;
    while (this.tried.length < settings.maxAttempts && Date.now() - this.c.started < settings.totalTimeoutMs && !this.gone) {
      // The filter is re-applied each round: what it depends on (providers that refused a prefill) changes.
      const groups = only ? this.groups.map((g) => g.filter(only)).filter((g) => g.length > 0) : this.groups;
      if (groups.length === 0) return { kind: "exhausted", noWinner: null };
      const target = this.only;
      const win = await auction({
        env,
        watchdog: this.watchdog,
        ctx,
        catalog: this.catalog,
        settings,
        groups: target ? [[target]] : groups,
        preset: this.preset,
        excluded: this.excluded,
        tokensFor: (m) => this.tokensFor(m),
        pacing: this.pacing,
        noProbe: rescuing,
      });
      this.only = null;
      this.rpcs += win.rpcs;
      for (const r of win.refused ?? []) this.trace.add(r.model, "skipped", r.reason);
      if (!win.ok) {
        if (target) continue; // the model we waited for is not ready after all: any other will do
        return { kind: "exhausted", noWinner: win };
      }
      const model = win.model;
      const provider = this.catalog.providers.get(model.provider);
      if (!provider) {
        this.excluded.add(model.id);
        continue;
      }
      if (this.gone || this.c.signal.aborted) {
        // The caller left while the auction ran: nothing goes upstream, the admission goes back.
        releaseWin(env, ctx, win);
        this.gone = true;
        break;
      }
      if (this.confirm) await this.confirmed(win);
      this.tried.push(model.id);
      const primary = this.start(req, win, model, provider, this.watchdog);
      const settled = await this.hedged(req, primary, win, rescuing);
      if (settled.won) {
        this.trace.add(settled.won.model.id, "ok");
        return { kind: "won", answer: settled.won.answer, model: settled.won.model, provider: settled.won.provider };
      }
      this.rpcs++; // a failure is reported at once; a success rides along with a later bid
      if (this.gone) break; // nobody is waiting: another model's free quota would be spent on an answer nobody reads
      for (const f of settled.failures) await this.failed(f.result, f.model, rescuing);
    }
    return { kind: "exhausted", noWinner: null };
  }

  /** The caller's admission, before its first call upstream; a refusal gives the auction's reservation back. */
  private async confirmed(win: Winner): Promise<void> {
    const confirm = this.confirm as () => Promise<KeyRecord | null>;
    this.confirm = undefined;
    try {
      if (!sameGrant(await confirm(), this.c.key)) throw new KeyChanged();
    } catch (e) {
      releaseWin(this.c.env, this.c.ctx, win);
      throw e;
    }
  }

  private tokensFor(m: ModelSpec): number {
    return this.promptTokens + expectedOutput(m, this.catalog.providers.get(m.provider), this.maxTokens);
  }

  private start(req: ChatRequest, win: Winner, model: ModelSpec, provider: ResolvedProvider, watchdog: Watchdog): Started {
    const control: AttemptControl = { gone: this.gone, abandoned: false };
    this.controls.add(control);
    const input: AttemptInput = {
      env: this.c.env,
      ctx: this.c.ctx,
      settings: this.settings,
      req,
      model,
      provider,
      adapter: this.adapter(model),
      lease: win.lease,
      poolLease: win.poolCloses && win.poolLease ? win.poolLease : undefined,
      reserved: win.reserved,
      promptTokens: this.promptTokens,
      log: this.c.log,
      watchdog,
      control,
    };
    const started: Started = { input, promise: attempt(input), model, provider, settled: false };
    started.promise = started.promise.then((r) => {
      this.controls.delete(control);
      started.settled = true;
      return r;
    });
    return started;
  }

  /**
   * How long to wait for a first token before hedging, or null. A stream's first token: the model's usual p95,
   * within the settings. A whole answer (no stream) takes as long as it is long: only one slower than both the
   * cap and the model's own usual p95 is worth a second call, or every long answer would be sent twice.
   */
  private hedgeAfter(win: Winner, rescuing: boolean): number | null {
    const s = this.settings;
    if (rescuing || s.hedgeAfterMs === 0) return null;
    if (this.req.stream !== true) return Math.round(Math.max(s.hedgeMinMs, s.hedgeAfterMs, win.state.latencyP95Ms));
    return Math.round(Math.min(s.hedgeAfterMs, Math.max(s.hedgeMinMs, win.state.ttftP95Ms)));
  }

  /**
   * Wait for the attempt; if it has no first token within its budget, also ask a model of another provider with
   * ample headroom. The first to produce content wins and the other is stopped (its quota use still counts).
   */
  private async hedged(req: ChatRequest, primary: Started, win: Winner, rescuing: boolean): Promise<Settled> {
    const budget = this.hedgeAfter(win, rescuing);
    if (budget === null) return this.settle(primary, await primary.promise);
    let cancel = (): void => undefined;
    const due = new Promise<"due">((resolve) => (cancel = this.watchdog.checkpoint(Date.now() + budget, () => resolve("due"))));
    const first = await Promise.race([primary.promise, due]);
    cancel();
    // Most attempts end before their hedge is due: their result is at hand.
    if (first !== "due") return this.settle(primary, first);
    let racers = [primary];
    if (!this.gone) {
      // The primary may answer while the hedge's auction runs: then it has its answer at once, and the hedge
      // gives its admission back instead of going upstream (startHedge looks at `primary.settled`).
      const placing = this.startHedge(req, primary, budget);
      this.c.ctx.waitUntil(placing); // so an admission the primary made needless is still given back
      const placed = await Promise.race([primary.promise.then(() => "ended" as const), placing]);
      if (placed === "ended") {
        this.trace.add(primary.model.id, "hedged", `no first token after ${budget} ms`, "it ended before the hedge went out: none sent");
        void placing.then((late) => late && this.abandon(late, primary.model.id));
      } else if (placed) racers = [primary, placed];
    }
    const failures: Array<{ result: Failed; model: ModelSpec }> = [];
    let pending = racers.map((s) => ({ s, p: s.promise.then((r) => ({ s, r })) }));
    while (pending.length > 0) {
      const { s, r } = await Promise.race(pending.map((x) => x.p));
      pending = pending.filter((x) => x.s !== s);
      if (r.kind === "failed") {
        if (!s.input.control.abandoned) failures.push({ result: r, model: s.model });
        continue;
      }
      for (const other of pending) this.abandon(other.s, s.model.id);
      return { won: { ...s, answer: r }, failures };
    }
    return { failures };
  }

  /** The outcome of an attempt that ran alone. */
  private settle(s: Started, r: AttemptResult): Settled {
    if (r.kind !== "failed") return { won: { ...s, answer: r }, failures: [] };
    return { failures: s.input.control.abandoned ? [] : [{ result: r, model: s.model }] };
  }

  /** Stop an attempt another one beat: abort it upstream, and drop its answer if it arrives anyway. */
  private abandon(loser: Started, winner: string): void {
    loser.input.control.abandoned = true;
    loser.input.control.abort?.();
    this.trace.add(loser.model.id, "abandoned", `${winner} answered first`);
    void loser.promise.then((r) => {
      if (r.kind === "stream") r.leg.close({ kind: "dropped" });
    });
  }

  /** The hedged request: another provider, ample headroom, no scarce daily allowance, its own timer. */
  private async startHedge(req: ChatRequest, primary: Started, budget: number): Promise<Started | null> {
    const excluded = new Set(this.excluded);
    for (const m of this.all()) if (m.provider === primary.model.provider) excluded.add(m.id);
    const watchdog = new Watchdog(Date.now() + this.settings.bidDeadlineMs);
    const win = await auction({
      env: this.c.env,
      watchdog,
      ctx: this.c.ctx,
      catalog: this.catalog,
      settings: this.settings,
      groups: this.groups,
      preset: this.preset,
      excluded,
      tokensFor: (m) => this.tokensFor(m),
      pacing: this.pacing,
      hedge: true,
    });
    this.rpcs += win.rpcs;
    const provider = win.ok ? this.catalog.providers.get(win.model.provider) : undefined;
    if (!win.ok || !provider) {
      watchdog.stop();
      this.trace.add(primary.model.id, "hedged", `no first token after ${budget} ms`, "no other provider with ample headroom: kept waiting");
      return null;
    }
    if (primary.settled || this.gone) {
      // It ended (or the caller left) while the auction ran: nothing is sent, and the admission goes back.
      watchdog.stop();
      releaseWin(this.c.env, this.c.ctx, win);
      return null;
    }
    this.tried.push(win.model.id);
    this.trace.add(primary.model.id, "hedged", `no first token after ${budget} ms`, `also asked ${win.model.id}`);
    return this.start(req, win, win.model, provider, watchdog);
  }

  /** Learn from a failed attempt: what to skip for the rest of this request, whether to wait, or to give up. */
  private async failed(result: Failed, model: ModelSpec, rescuing: boolean): Promise<void> {
    const { env, ctx } = this.c;
    const provider = this.catalog.providers.get(model.provider);
    this.lastFailure = { result, model };
    this.failedRetryAt.set(model.id, retryAtAfter(result, model, provider));
    this.excluded.add(model.id);
    // An account-wide 429 (OpenRouter's :free allowance, NVIDIA's account RPM) refuses the pool's every model.
    if ((result.failure === "throttle" || result.failure === "daily") && result.scope === "pool" && model.pool) {
      for (const m of this.all()) if (m.pool === model.pool) this.excluded.add(m.id);
    }
    this.trace.add(model.id, "failed", `${result.failure}${result.status ? ` (HTTP ${result.status})` : ""}`);
    switch (result.failure) {
      case "caller":
        // Refused for what the caller sent: every model would refuse it. During a rescue it is the fallback's
        // refusal of the rescue itself (a prefill it does not take): try the next, the caller never sees it.
        if (rescuing) {
          // Its siblings would refuse a prefill the same way; they may still restart the answer.
          if (result.status === 400 || result.status === 422) this.prefillRefused.add(model.provider);
          this.trace.decide(model.id, "try the next candidate");
          return;
        }
        this.trace.decide(model.id, "return the error to the caller");
        throw callerError(result, model);
      case "context_length":
        // Only larger windows are worth trying; remember the error in case none is left.
        this.lastCallerError = callerError(result, model);
        this.contextRefusedAt = Math.max(this.contextRefusedAt, model.context);
        for (const m of this.all()) if (m.context <= model.context) this.excluded.add(m.id);
        this.trace.decide(model.id, "try a larger context window");
        return;
      case "auth":
        if (result.gone) {
          // Refused for this model alone (its terms not accepted, a private model): its siblings may serve.
          this.trace.decide(model.id, "fail over (this model is not available to the account)");
          return;
        }
        // The provider refused our key or account: all its models share it (ARCHITECTURE.md failure table).
        takeProviderOut(env, ctx, this.catalog.models, model, result.message);
        for (const m of this.all()) if (m.provider === model.provider) this.excluded.add(m.id);
        this.trace.decide(model.id, `skip ${model.provider} (key refused)`);
        return;
      case "transient":
        if (result.gone) {
          // This model is not served there now (retired, renamed, no endpoint left): its siblings may well be.
          this.trace.decide(model.id, "fail over (the provider does not serve this model now)");
          return;
        }
        // A provider that errors is likely down for all its models: skip them for this request.
        for (const m of this.all()) if (m.provider === model.provider) this.excluded.add(m.id);
        this.trace.decide(model.id, `fail over (skip ${model.provider} for this request)`);
        return;
      case "throttle":
        return this.throttled(result, model);
      default:
        this.trace.decide(model.id, "fail over");
    }
  }

  /**
   * A 429 with a short Retry-After: wait it out when no alternative has ample headroom (and the wait fits the
   * request's budget), else fail over at once.
   */
  private async throttled(result: Failed, model: ModelSpec): Promise<void> {
    const wait = result.retryAfterMs;
    const s = this.settings;
    const left = s.totalTimeoutMs - (Date.now() - this.c.started);
    if (wait === undefined || wait > s.maxRetryWaitMs || wait + WAIT_MARGIN_MS >= left || this.waited.has(model.id)) {
      this.trace.decide(model.id, wait === undefined ? "fail over (no Retry-After)" : `fail over (Retry-After ${wait} ms is too long to wait)`);
      return;
    }
    const now = Date.now();
    const alternative = this.all().find((m) => !this.excluded.has(m.id) && ample(m, now, this.catalog));
    if (alternative) {
      this.trace.decide(model.id, `fail over (${alternative.id} has ample headroom)`);
      return;
    }
    this.trace.decide(model.id, `wait ${wait} ms (no alternative with ample headroom)`);
    this.waited.add(model.id);
    if (!(await this.pause(wait + WAIT_MARGIN_MS))) return;
    this.trace.add(model.id, "waited", `${wait} ms`);
    this.excluded.delete(model.id);
    this.only = model;
  }

  /** Sleep, unless the caller hangs up first (false then). */
  private pause(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(!this.gone), ms);
      const stop = (): void => {
        clearTimeout(timer);
        this.hangUp();
        resolve(false);
      };
      if (this.c.signal.aborted) stop();
      else this.c.signal.addEventListener("abort", stop, { once: true });
    });
  }
}

/** Tell every other model of a provider whose key was refused, so no request tries them for the cooldown. */
function takeProviderOut(env: Env, ctx: ExecutionContext, models: readonly ModelSpec[], failed: ModelSpec, message: string): void {
  for (const m of models) {
    if (m.provider !== failed.provider || m.id === failed.id) continue;
    report(env, ctx, { model: m.id, lease: "", reserved: 0, ok: false, status: 401, failure: "auth", scope: "model", message: `provider key refused (seen on ${failed.id}): ${message.slice(0, 120)}` });
  }
}

/** Narrow candidates to what the caller's key may use; nothing left is the caller's problem, not capacity. */
function allowedCandidates(set: CandidateSet, key: KeyRecord | null, catalog: Catalog): CandidateSet {
  if (!key?.models) return set;
  const groups = set.groups.map((g) => g.filter((m) => allows(key, m, catalog.presets))).filter((g) => g.length > 0);
  if (groups.length === 0) {
    throw new HttpError(403, "This API key may not use the requested model(s).", { type: "permission_error", param: "model", code: "model_not_allowed" });
  }
  return { groups, preset: set.preset };
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
