// The request log, from the Worker's side: each API request builds one record as it goes (who asked, what for,
// every attempt, how it ended), and finished records go to the day's RequestLedger in batches — at most one
// actor call a second per isolate, never one per request.

import { type AttemptRecord, type RequestRecord, type Route, stored } from "../shared/analytics.ts";
import { nextReset } from "../objects/day.ts";
import type { Env } from "./env.ts";
import { settingsFor } from "./settings.ts";
import { countRpc } from "./stats.ts";

/** The last day named, [start, end) in ms: every request names its day, and formatting a date is not free. */
let named = { start: 0, end: 0, name: "" };

export function ledgerName(ts: number): string {
  if (ts >= named.start && ts < named.end) return named.name;
  const start = Math.floor(ts / 86_400_000) * 86_400_000;
  const name = `ledger:${new Date(ts).toISOString().slice(0, 10)}`;
  named = { start, end: start + 86_400_000, name };
  return name;
}

const pending = new Map<string, { env: Env; records: RequestRecord[] }>();
let flushing: Promise<void> | null = null;
const MAX_BATCH = 200;

/** Waits before each retry of a batch the ledger did not take (an overloaded or reset actor, a lost connection). */
const RETRY_MS = [250, 1000];

function send(name: string, env: Env, records: RequestRecord[]): Promise<void> {
  const ts = records[0]?.ts ?? Date.now();
  // As JSON text (what the ledger stores): quicker to pass than the records themselves.
  const batch = JSON.stringify(records.map(stored));
  // The ledger takes a batch id once: a retry after an answer that was lost counts nothing twice.
  const id = crypto.randomUUID();
  const attempt = (n: number): Promise<void> => {
    countRpc();
    // A fresh stub each try: one that has thrown may stay broken.
    return env.REQUEST_LEDGER.getByName(name)
      .append(batch, settingsFor(env).logRetentionDays, nextReset("UTC", ts), id)
      .catch((e: unknown) => {
        const wait = RETRY_MS[n];
        if (wait !== undefined) return new Promise<void>((r) => setTimeout(r, wait)).then(() => attempt(n + 1));
        console.error("request log append failed", e instanceof Error ? e.message : String(e));
      });
  };
  return attempt(0);
}

function flushAll(): Promise<void> {
  const batches = [...pending.entries()];
  pending.clear();
  return Promise.all(batches.map(([name, p]) => send(name, p.env, p.records))).then(() => undefined);
}

function enqueue(env: Env, ctx: ExecutionContext, record: RequestRecord): void {
  const name = ledgerName(record.ts);
  let p = pending.get(name);
  if (!p || p.env !== env) {
    if (p) ctx.waitUntil(send(name, p.env, p.records));
    p = { env, records: [] };
    pending.set(name, p);
  }
  p.records.push(record);
  if (p.records.length >= MAX_BATCH) {
    pending.delete(name);
    ctx.waitUntil(send(name, env, p.records));
    return;
  }
  if (flushing) return; // the request that started the timer keeps the isolate alive until the flush
  // The timer is over once it fires: records finished while that flush is on its way start the next one.
  flushing = new Promise<void>((resolve) => setTimeout(resolve, settingsFor(env).logFlushMs)).then(() => {
    flushing = null;
    return flushAll();
  });
  ctx.waitUntil(flushing);
}

/** The record of one request, filled in along the way and sent once, when the answer is complete. */
export class RequestLog {
  readonly record: RequestRecord;
  #sent = false;
  /** a stream is still flowing: the record goes when it ends, not with the response head */
  streaming = false;

  constructor(
    private readonly env: Env,
    private readonly ctx: ExecutionContext,
    init: { id: string; route: Route; key: string | null },
  ) {
    this.record = {
      id: init.id,
      ts: Date.now(),
      key: init.key,
      route: init.route,
      requested: "",
      model: null,
      provider: null,
      status: 0,
      error: null,
      attempts: [],
      latencyMs: 0,
      ttftMs: null,
      tokensIn: 0,
      tokensOut: 0,
      streamed: false,
    };
  }

  attempt(a: AttemptRecord): void {
    if (this.record.attempts.length < 32) this.record.attempts.push(a);
  }

  /** The answer: which model, what it used, how long it took. */
  answered(a: { model: string; provider: string; ttftMs?: number; tokensIn: number; tokensOut: number; streamed: boolean }): void {
    Object.assign(this.record, { model: a.model, provider: a.provider, tokensIn: a.tokensIn, tokensOut: a.tokensOut, streamed: a.streamed });
    this.record.ttftMs = a.ttftMs ?? null;
  }

  /** Send the record (once): `status` is what the caller got, `error` a class or code when it failed. */
  finish(status: number, error: string | null = null): void {
    if (this.#sent) return;
    this.#sent = true;
    this.record.status = status;
    this.record.error = error;
    this.record.latencyMs = Date.now() - this.record.ts;
    enqueue(this.env, this.ctx, this.record);
  }
}
