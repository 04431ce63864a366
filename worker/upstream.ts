// One upstream attempt: call the provider, classify any failure, and either finish the answer or hand back why not.

import type { Outcome, RateInfo } from "../shared/actors.ts";
import type { ResolvedProvider } from "../shared/catalog/index.ts";
import type { ModelSpec } from "../shared/catalog/types.ts";
import type { Adapter, Usage } from "./adapters/types.ts";
import type { RequestLog } from "./ledger.ts";
import { report } from "./reports.ts";
import type { Env } from "./env.ts";
import { redact, redactError } from "./redact.ts";
import type { Settings } from "./settings.ts";
import { Leg } from "./leg.ts";
import { EventSource, StreamState, usageJson } from "./stream.ts";
import { isObject, type ChatRequest, type JsonObject } from "./validate.ts";
import type { Watchdog } from "./watchdog.ts";
import type { UpstreamFailure } from "./failures.ts";

export interface AttemptInput {
  env: Env;
  ctx: ExecutionContext;
  settings: Settings;
  req: ChatRequest;
  model: ModelSpec;
  provider: ResolvedProvider;
  adapter: Adapter;
  lease: string;
  /** the pool's lease, when the pool needs the outcome to close it */
  poolLease?: string;
  reserved: number;
  promptTokens: number;
  /** the request's one timer (a hedge has its own) */
  watchdog: Watchdog;
  /** when the attempt started (set by `attempt`) */
  started?: number;
  /** the request's record in the request log */
  log?: RequestLog;
  /** why the attempt may be stopped from outside, and how (the attempt sets `abort`) */
  control: AttemptControl;
}

export interface AttemptControl {
  /** the caller hung up */
  gone: boolean;
  /** another attempt answered first (a hedge race): this one is dropped, not failed */
  abandoned: boolean;
  /** stops the attempt in flight */
  abort?: () => void;
}

export type AttemptResult =
  /** a whole (non-streaming) answer, its `model` already the public id */
  | { kind: "ok"; body: JsonObject; usage: Usage; ttftMs: number }
  /** a stream past its commit window: the relay reads the rest */
  | { kind: "stream"; leg: Leg }
  | ({ kind: "failed"; rate?: RateInfo } & UpstreamFailure);

function outcomeBase(a: AttemptInput): Pick<Outcome, "model" | "lease" | "poolLease" | "reserved" | "startedAt"> {
  return { model: a.model.id, lease: a.lease, poolLease: a.poolLease, reserved: a.reserved, startedAt: a.started };
}

function fail(
  a: AttemptInput,
  f: Omit<Extract<AttemptResult, { kind: "failed" }>, "kind">,
): Extract<AttemptResult, { kind: "failed" }> {
  const message = redact(f.message, [a.provider.key]).slice(0, 1000);
  // What the error body says about limits adds to what the headers said.
  const rate = f.error?.rate ? { ...f.rate, ...f.error.rate } : f.rate;
  // A caller hanging up, or a hedge that answered first, is no fault of the model: the call is closed without
  // counting against its health (it still counts against its limits).
  const { gone, abandoned } = a.control;
  const dropped = gone || abandoned;
  report(a.env, a.ctx, {
    ...outcomeBase(a),
    ok: false,
    status: dropped ? 0 : f.status,
    failure: dropped ? undefined : f.failure,
    abandoned: abandoned || undefined,
    ttftMs: abandoned ? Date.now() - (a.started ?? Date.now()) : undefined,
    scope: f.scope,
    gone: f.gone,
    retryAfterMs: f.retryAfterMs,
    rate,
    message: gone ? "the caller hung up" : abandoned ? "another attempt answered first" : message.slice(0, 200),
  });
  a.log?.attempt({ model: a.model.id, provider: a.provider.id, outcome: gone ? "client_closed" : abandoned ? "abandoned" : f.failure });
  return { kind: "failed", ...f, message, error: f.error && redactError(f.error, [a.provider.key]) };
}

function estimateUsage(a: AttemptInput, completionChars: number): Usage {
  return { prompt: a.promptTokens, completion: Math.ceil(completionChars / 4) };
}

const TIMEOUT: unique symbol = Symbol("timeout");

export async function attempt(a: AttemptInput): Promise<AttemptResult> {
  const stream = a.req.stream === true;
  const controller = new AbortController();
  const started = Date.now();
  a.started = started;
  // Providers answer a non-streaming request only when the whole answer is ready; a stream shows its head at once.
  const headMs = stream ? a.settings.firstByteTimeoutMs : a.settings.responseTimeoutMs;
  const watchdog = a.watchdog;
  watchdog.onFire = () => controller.abort();
  watchdog.set(started + headMs);
  a.control.abort = () => controller.abort();
  const done = (): void => watchdog.rest();
  const call = a.adapter.chatRequest(a.req, a.model, a.provider, stream, controller.signal);
  let res: Response;
  try {
    // The watchdog aborts the call when the deadline passes, which rejects it: no race against the timer needed.
    res = await fetch(call.url, call.init);
  } catch (e) {
    done();
    const why = watchdog.fired ? `no response within ${headMs} ms` : `connection failed: ${e instanceof Error ? e.message : String(e)}`;
    return fail(a, { failure: "transient", scope: "model", status: 0, message: `${a.provider.name}: ${why}`, error: null });
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
  a.log?.attempt({ model: a.model.id, provider: a.provider.id, outcome: "ok" });
  return { kind: "ok", body, usage, ttftMs: ttfb };
}

/**
 * Read up to the first content chunk (the commit window). A failure in here is invisible to the caller; after
 * it, the leg is handed to the relay, which streams it (and, if it breaks, what rescues it) to the caller.
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
  const held: JsonObject[] = [];
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
    held.push(chunk);
    if (content) break;
  }
  // Commit: from here the caller sees this model's answer (or, if it breaks, its rescue).
  return { kind: "stream", leg: new Leg(a, source, state, held, controller, started, rate, done) };
}
