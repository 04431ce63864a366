// One upstream attempt: call the provider, classify any failure, and either finish the answer or hand back why not.

import type { FailureClass, FailureScope, Outcome, RateInfo } from "../shared/actors.ts";
import type { ResolvedProvider } from "../shared/catalog/index.ts";
import type { ModelSpec } from "../shared/catalog/types.ts";
import type { Adapter, NormalizedError, Usage } from "./adapters/types.ts";
import type { RequestLog } from "./ledger.ts";
import { report } from "./reports.ts";
import type { Env } from "./env.ts";
import { redact } from "./redact.ts";
import type { Settings } from "./settings.ts";
import { DONE, errorChunk, EventSource, rewriteChunk, type StreamEnd, StreamState, usageChunk, usageJson } from "./stream.ts";
import { isObject, type ChatRequest } from "./validate.ts";
import { Watchdog } from "./watchdog.ts";

export interface AttemptInput {
  env: Env;
  ctx: ExecutionContext;
  settings: Settings;
  req: ChatRequest;
  model: ModelSpec;
  provider: ResolvedProvider;
  adapter: Adapter;
  lease: string;
  reserved: number;
  promptTokens: number;
  /** response headers that name the route (x-freeway-*, x-request-id) */
  headers: Record<string, string>;
  /** the request's one timer */
  watchdog: Watchdog;
  /** told the tokens a successful answer used */
  onUsage?: (tokens: number) => void;
  /** the request's record in the request log */
  log?: RequestLog;
  /** the caller hung up (`gone`); the attempt sets what to do about it (`abort`) */
  clientGone: { gone: boolean; abort?: () => void };
}

export type AttemptResult =
  | { kind: "ok"; response: Response }
  | {
      kind: "failed";
      failure: FailureClass;
      scope: FailureScope;
      status: number;
      retryAfterMs?: number;
      /** secret-free message, fit for the caller when the failure is theirs */
      message: string;
      error: NormalizedError | null;
      rate?: RateInfo;
    };

function outcomeBase(a: AttemptInput): Pick<Outcome, "model" | "lease" | "reserved"> {
  return { model: a.model.id, lease: a.lease, reserved: a.reserved };
}

function fail(
  a: AttemptInput,
  f: Omit<Extract<AttemptResult, { kind: "failed" }>, "kind">,
): Extract<AttemptResult, { kind: "failed" }> {
  const message = redact(f.message, [a.provider.key]).slice(0, 1000);
  // What the error body says about limits adds to what the headers said.
  const rate = f.error?.rate ? { ...f.rate, ...f.error.rate } : f.rate;
  // A caller hanging up is no fault of the model: the call is closed without counting against its health.
  const gone = a.clientGone.gone;
  report(a.env, a.ctx, {
    ...outcomeBase(a),
    ok: false,
    status: gone ? 0 : f.status,
    failure: gone ? undefined : f.failure,
    scope: f.scope,
    retryAfterMs: f.retryAfterMs,
    rate,
    message: gone ? "the caller hung up" : message.slice(0, 200),
  });
  return { kind: "failed", ...f, message };
}

function estimateUsage(a: AttemptInput, completionChars: number): Usage {
  return { prompt: a.promptTokens, completion: Math.ceil(completionChars / 4) };
}

const TIMEOUT: unique symbol = Symbol("timeout");

export async function attempt(a: AttemptInput): Promise<AttemptResult> {
  const stream = a.req.stream === true;
  const controller = new AbortController();
  const started = Date.now();
  // Providers answer a non-streaming request only when the whole answer is ready; a stream shows its head at once.
  const headMs = stream ? a.settings.firstByteTimeoutMs : a.settings.responseTimeoutMs;
  const watchdog = a.watchdog;
  watchdog.onFire = () => controller.abort();
  watchdog.set(started + headMs);
  a.clientGone.abort = () => controller.abort();
  const done = (): void => watchdog.rest();
  const call = a.adapter.chatRequest(a.req, a.model, a.provider, stream, controller.signal);
  let res: Response | typeof TIMEOUT;
  try {
    res = await Promise.race([fetch(call.url, call.init), watchdog.expired.then((): typeof TIMEOUT => TIMEOUT)]);
  } catch (e) {
    done();
    const why = watchdog.fired ? `no response within ${headMs} ms` : `connection failed: ${e instanceof Error ? e.message : String(e)}`;
    return fail(a, { failure: "transient", scope: "model", status: 0, message: `${a.provider.name}: ${why}`, error: null });
  }
  if (res === TIMEOUT) {
    done();
    return fail(a, { failure: "transient", scope: "model", status: 0, message: `${a.provider.name}: no response within ${headMs} ms`, error: null });
  }
  const ttfb = Date.now() - started;
  const rate = a.adapter.rateInfo(res.headers);
  if (!res.ok || !stream) {
    // Error bodies and whole answers are read under the same deadline.
    if (!res.ok) watchdog.set(Date.now() + a.settings.idleTimeoutMs);
    const text = await readBody(res, watchdog);
    done();
    if (!res.ok) {
      const err = a.adapter.normalizeError(res.status, typeof text === "string" ? text : "");
      const c = a.adapter.classify(err, res.headers, Date.now());
      return fail(a, { ...c, status: res.status, message: err.message, error: err, rate });
    }
    return finishJson(a, res, text, started, ttfb, rate);
  }
  return openStream(a, res, started, rate, controller, watchdog, done);
}

/** The whole body as text, or why not (the watchdog's deadline, a broken connection). */
async function readBody(res: Response, watchdog: Watchdog): Promise<string | { error: string }> {
  try {
    const text = await Promise.race([res.text(), watchdog.expired.then((): typeof TIMEOUT => TIMEOUT)]);
    if (text === TIMEOUT) {
      res.body?.cancel().catch(() => undefined);
      return { error: "the answer did not finish in time" };
    }
    return text;
  } catch (e) {
    return { error: watchdog.fired ? "the answer did not finish in time" : `body failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function finishJson(a: AttemptInput, res: Response, text: string | { error: string }, started: number, ttfb: number, rate: RateInfo | undefined): AttemptResult {
  if (typeof text !== "string") return fail(a, { failure: "transient", scope: "model", status: 0, message: text.error, error: null, rate });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail(a, { failure: "transient", scope: "model", status: 502, message: "malformed JSON from the provider (cut or garbled body)", error: null, rate });
  }
  if (!isObject(body)) return fail(a, { failure: "transient", scope: "model", status: 502, message: "the provider answered with something that is not a completion", error: null, rate });
  const inline = a.adapter.streamError(body);
  if (inline || !Array.isArray(body.choices) || body.choices.length === 0) {
    if (inline) {
      const c = a.adapter.classify(inline, res.headers, Date.now());
      return fail(a, { ...c, status: inline.status, message: inline.message, error: inline, rate });
    }
    return fail(a, { failure: "transient", scope: "model", status: 502, message: "the provider's completion has no choices", error: null, rate });
  }
  body.model = a.model.id;
  delete body.x_groq;
  let usage = a.adapter.usage(body);
  if (!usage) {
    const chars = body.choices.reduce<number>((n, c) => {
      const m = isObject(c) && isObject(c.message) ? c.message : {};
      return n + (typeof m.content === "string" ? m.content.length : 0) + (m.tool_calls ? JSON.stringify(m.tool_calls).length : 0);
    }, 0);
    usage = estimateUsage(a, chars);
    body.usage = usageJson(usage);
  }
  report(a.env, a.ctx, { ...outcomeBase(a), ok: true, status: res.status, latencyMs: Date.now() - started, ttftMs: ttfb, usage, rate });
  a.onUsage?.(usage.prompt + usage.completion);
  a.log?.answered({ model: a.model.id, provider: a.provider.id, ttftMs: ttfb, tokensIn: usage.prompt, tokensOut: usage.completion, streamed: false });
  return {
    kind: "ok",
    response: new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json", ...a.headers },
    }),
  };
}

/**
 * Read up to the first content chunk (the commit window). A failure in here is invisible to the caller;
 * after it, the response is returned and the rest streams through `pump`.
 */
async function openStream(
  a: AttemptInput,
  res: Response,
  started: number,
  rate: RateInfo | undefined,
  controller: AbortController,
  watchdog: Watchdog,
  done: () => void,
): Promise<AttemptResult> {
  let source: EventSource | undefined;
  const transientFail = (message: string): AttemptResult => {
    done();
    controller.abort();
    source?.cancel();
    return fail(a, { failure: "transient", scope: "model", status: 502, message, error: null, rate });
  };
  const type = res.headers.get("content-type") ?? "";
  if (!res.body || !type.includes("text/event-stream")) {
    return transientFail(`${a.provider.name} did not stream (content-type ${type || "missing"})`);
  }
  source = new EventSource(res.body, watchdog);
  const state = new StreamState();
  const rw = { model: a.model.id, includeUsage: isObject(a.req.stream_options) && a.req.stream_options.include_usage === true };
  const held: Uint8Array[] = [];
  const deadline = started + a.settings.firstTokenTimeoutMs;
  for (;;) {
    const r = await source.next(deadline);
    if (r.kind === "timeout") return transientFail(`no first token within ${a.settings.firstTokenTimeoutMs} ms`);
    if (r.kind === "error") return transientFail(`stream failed before the first token: ${r.message}`);
    if (r.kind === "end") return transientFail("stream ended before any content");
    if (r.data === "[DONE]") return transientFail("stream finished without any content");
    let chunk: unknown;
    try {
      chunk = JSON.parse(r.data);
    } catch {
      return transientFail("malformed chunk before the first token");
    }
    if (!isObject(chunk)) return transientFail("malformed chunk before the first token");
    const perr = a.adapter.streamError(chunk);
    if (perr) {
      done();
      controller.abort();
      source.cancel();
      const c = a.adapter.classify(perr, res.headers, Date.now());
      return fail(a, { ...c, status: perr.status, message: perr.message, error: perr, rate });
    }
    const content = state.observe(chunk, a.adapter.usage(chunk));
    const out = rewriteChunk(chunk, rw, state);
    if (out !== null) held.push(new TextEncoder().encode(`data: ${out}\n\n`));
    if (content) break;
  }
  // Commit: from here the caller sees this model's answer, whatever happens.
  const pump = new Pump(a, source, state, rw, held, controller, started, rate);
  if (a.log) a.log.streaming = true; // its record is finished when the stream ends
  // The report goes when the stream ends; waitUntil keeps the isolate until it has been handed over.
  a.ctx.waitUntil(
    pump.done.then((end) => {
      done();
      const outcome = pump.outcome(end);
      report(a.env, a.ctx, outcome);
      if (outcome.usage) a.onUsage?.(outcome.usage.prompt + outcome.usage.completion);
      if (a.log) {
        const usage = outcome.usage ?? { prompt: a.promptTokens, completion: 0 };
        a.log.answered({ model: a.model.id, provider: a.provider.id, ttftMs: outcome.ttftMs, tokensIn: usage.prompt, tokensOut: usage.completion, streamed: true });
        a.log.finish(200, end.ok ? null : end.cancelled ? "client_closed" : `stream_${end.reason ?? "failed"}`);
      }
    }),
  );
  return {
    kind: "ok",
    response: new Response(pump.readable, {
      status: 200,
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...a.headers },
    }),
  };
}

/** Passes a committed stream through, chunk by chunk, watching for stalls, cuts, garbage and a missing [DONE]. */
class Pump {
  readonly readable: ReadableStream<Uint8Array>;
  readonly done: Promise<StreamEnd>;
  #resolve!: (end: StreamEnd) => void;
  #finished = false;

  constructor(
    private readonly a: AttemptInput,
    private readonly source: EventSource,
    private readonly state: StreamState,
    private readonly rw: { model: string; includeUsage: boolean },
    held: Uint8Array[],
    private readonly controller: AbortController,
    private readonly started: number,
    private readonly rate: RateInfo | undefined,
  ) {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        for (const h of held) c.enqueue(h);
      },
      pull: (c) => this.pull(c),
      cancel: () => {
        this.controller.abort();
        this.source.cancel();
        this.end({ ok: true, cancelled: true });
      },
    });
  }

  private end(e: StreamEnd): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#resolve(e);
  }

  private finishOk(c: ReadableStreamDefaultController<Uint8Array>, missingDone: boolean): void {
    if (this.rw.includeUsage && !this.state.usageSent) {
      c.enqueue(usageChunk(this.state, this.rw.model, this.state.usage ?? { prompt: this.a.promptTokens, completion: this.state.contentChunks }));
    }
    c.enqueue(DONE);
    c.close();
    this.end({ ok: true, missingDone });
  }

  private broken(c: ReadableStreamDefaultController<Uint8Array>, reason: string, message: string, providerError?: NormalizedError): void {
    this.controller.abort();
    this.source.cancel();
    const text = redact(message, [this.a.provider.key]);
    c.enqueue(errorChunk(this.state, this.rw.model, `The answer from ${this.rw.model} is incomplete: ${text}`, `stream_${reason}`));
    c.close();
    this.end({ ok: false, reason, providerError });
  }

  /** Send at least one chunk (or end the stream) per pull, so backpressure reaches the provider. */
  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      const r = await this.source.next(Date.now() + this.a.settings.idleTimeoutMs);
      if (this.#finished) return;
      if (r.kind === "timeout") return this.broken(c, "stall", `no data for ${this.a.settings.idleTimeoutMs} ms`);
      if (r.kind === "error") return this.broken(c, "cut", `the connection dropped (${r.message})`);
      if (r.kind === "end") {
        // Every choice finished: only [DONE] is missing, and we can say it ourselves truthfully.
        if (this.state.complete()) return this.finishOk(c, true);
        return this.broken(c, "cut", "the provider closed the stream before the answer finished");
      }
      if (r.data === "[DONE]") {
        if (this.state.complete() || this.state.finished.size > 0) return this.finishOk(c, false);
        return this.broken(c, "cut", "the provider sent [DONE] before any finish_reason");
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(r.data);
      } catch {
        return this.broken(c, "malformed", "the provider sent a malformed chunk");
      }
      if (!isObject(chunk)) return this.broken(c, "malformed", "the provider sent a malformed chunk");
      const perr = this.a.adapter.streamError(chunk);
      if (perr) return this.broken(c, "error", perr.message, perr);
      this.state.observe(chunk, this.a.adapter.usage(chunk));
      const out = rewriteChunk(chunk, this.rw, this.state);
      if (out !== null) {
        c.enqueue(new TextEncoder().encode(`data: ${out}\n\n`));
        return;
      }
    }
  }

  outcome(end: StreamEnd): Outcome {
    const base = { model: this.a.model.id, lease: this.a.lease, reserved: this.a.reserved, rate: this.rate };
    const usage = this.state.usage;
    if (end.ok) {
      return {
        ...base,
        ok: true,
        status: 200,
        latencyMs: end.cancelled ? undefined : Date.now() - this.started,
        ttftMs: this.state.firstContentAt ? this.state.firstContentAt - this.started : undefined,
        usage,
        message: end.missingDone ? "stream ended without [DONE] after finishing" : undefined,
      };
    }
    if (end.providerError) {
      const c = this.a.adapter.classify(end.providerError, new Headers(), Date.now());
      return { ...base, ok: false, status: end.providerError.status, failure: c.failure, scope: c.scope, retryAfterMs: c.retryAfterMs, usage, message: end.providerError.message.slice(0, 200) };
    }
    return { ...base, ok: false, status: 502, failure: "transient", scope: "model", usage, message: `stream ${end.reason ?? "failed"} after the commit` };
  }
}
