// One upstream embeddings call for one batch: send, classify any failure, check every vector, report to the actor.

import type { RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { ModelSpec } from "../../shared/catalog/types.ts";
import type { Adapter, EmbedInput, Vector } from "../adapters/types.ts";
import type { Env } from "../env.ts";
import { redact, redactError } from "../redact.ts";
import { report } from "../reports.ts";
import type { Settings } from "../settings.ts";
import { isObject } from "../validate.ts";
import type { Watchdog } from "../watchdog.ts";
import type { UpstreamFailure } from "../failures.ts";
import { parseWithLists, vectorLength } from "./vectors.ts";

export interface EmbedAttemptInput {
  env: Env;
  ctx: ExecutionContext;
  settings: Settings;
  model: ModelSpec;
  provider: ResolvedProvider;
  adapter: Adapter;
  lease: string;
  /** the pool's lease, when the pool needs the outcome to close it */
  poolLease?: string;
  reserved: number;
  call: EmbedInput;
  /** our estimate of the batch's tokens, for usage when the provider gives none */
  estimate: number;
  /** the size every vector must have, when known (the caller's `dimensions` or the catalog's) */
  dims: number | undefined;
  /** this batch's timer */
  watchdog: Watchdog;
  /** aborts the call when the caller hangs up or another batch failed */
  signal: AbortSignal;
}

export type EmbedResult =
  | { ok: true; vectors: Vector[]; tokens: number }
  | ({ ok: false } & UpstreamFailure);

type Failed = Extract<EmbedResult, { ok: false }>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TIMEOUT: unique symbol = Symbol("timeout");

function fail(a: EmbedAttemptInput, f: Omit<Failed, "ok">, rate: RateInfo | undefined): Failed {
  const message = redact(f.message, [a.provider.key]).slice(0, 1000);
  const gone = a.signal.aborted;
  const errRate = f.error?.rate ? { ...rate, ...f.error.rate } : rate;
  report(a.env, a.ctx, {
    model: a.model.id,
    lease: a.lease,
    poolLease: a.poolLease,
    reserved: a.reserved,
    ok: false,
    // Stopped by us (caller gone, another batch failed): no fault of the model.
    status: gone ? 0 : f.status,
    failure: gone ? undefined : f.failure,
    scope: f.scope,
    gone: f.gone,
    retryAfterMs: f.retryAfterMs,
    rate: errRate,
    message: gone ? "the request was stopped" : message.slice(0, 200),
  });
  return { ok: false, ...f, message, error: f.error && redactError(f.error, [a.provider.key]) };
}

function broken(a: EmbedAttemptInput, message: string, rate: RateInfo | undefined): Failed {
  return fail(a, { failure: "transient", scope: "model", status: 502, message: `${a.provider.name}: ${message}`, error: null }, rate);
}

/** What is wrong with these vectors, or null: one per input, each of the one size this request gets. */
function checkVectors(vectors: readonly Vector[], dims: number | undefined): string | null {
  let want = dims;
  for (const v of vectors) {
    if (typeof v === "string" && (v.length % 4 !== 0 || !BASE64.test(v))) return "an embedding is not valid base64";
    const n = vectorLength(v);
    want ??= n;
    if (n !== want) return `an embedding has ${n} values where ${want} were expected`;
  }
  return null;
}

export async function embedAttempt(a: EmbedAttemptInput): Promise<EmbedResult> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  if (a.signal.aborted) stop();
  else a.signal.addEventListener("abort", stop, { once: true });
  const started = Date.now();
  const w = a.watchdog;
  w.onFire = stop;
  w.set(started + a.settings.responseTimeoutMs);
  try {
    const call = a.adapter.embedRequest(a.call, a.model, a.provider, controller.signal);
    let res: Response | typeof TIMEOUT;
    try {
      res = await Promise.race([fetch(call.url, call.init), w.expired.then((): typeof TIMEOUT => TIMEOUT)]);
    } catch (e) {
      const why = w.fired ? `no response within ${a.settings.responseTimeoutMs} ms` : `connection failed: ${e instanceof Error ? e.message : String(e)}`;
      return fail(a, { failure: "transient", scope: "model", status: 0, message: `${a.provider.name}: ${why}`, error: null }, undefined);
    }
    if (res === TIMEOUT) {
      stop();
      return fail(a, { failure: "transient", scope: "model", status: 0, message: `${a.provider.name}: no response within ${a.settings.responseTimeoutMs} ms`, error: null }, undefined);
    }
    const rate = a.adapter.rateInfo(res.headers);
    let text: string | typeof TIMEOUT;
    try {
      text = await Promise.race([res.text(), w.expired.then((): typeof TIMEOUT => TIMEOUT)]);
    } catch (e) {
      return broken(a, `the answer broke off (${e instanceof Error ? e.message : String(e)})`, rate);
    }
    if (text === TIMEOUT) {
      stop();
      return broken(a, "the answer did not finish in time", rate);
    }
    if (!res.ok) {
      const err = a.adapter.normalizeError(res.status, text);
      const c = a.adapter.classify(err, res.headers, Date.now());
      return fail(a, { ...c, status: res.status, message: err.message, error: err }, rate);
    }
    let body: unknown;
    try {
      body = parseWithLists(text);
    } catch {
      return broken(a, "malformed JSON (cut or garbled body)", rate);
    }
    if (!isObject(body)) return broken(a, "the answer is not a JSON object", rate);
    const parsed = a.adapter.parseEmbeddings(body, a.call.input.length);
    if (typeof parsed === "string") return broken(a, parsed, rate);
    const wrong = checkVectors(parsed.vectors, a.dims);
    if (wrong) return broken(a, wrong, rate);
    const tokens = parsed.tokens ?? a.estimate;
    report(a.env, a.ctx, {
      model: a.model.id,
      lease: a.lease,
      poolLease: a.poolLease,
      reserved: a.reserved,
      ok: true,
      status: res.status,
      startedAt: started,
      latencyMs: Date.now() - started,
      usage: { prompt: tokens, completion: 0 },
      rate,
    });
    return { ok: true, vectors: parsed.vectors, tokens };
  } finally {
    w.rest();
    a.signal.removeEventListener("abort", stop);
  }
}
