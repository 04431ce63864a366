// One upstream stream after its commit: reads chunks, watches for stalls, cuts, garbage and a missing [DONE],
// and reports the attempt to its actor when it ends. The caller-facing stream (relay.ts) may run several legs.

import type { Outcome, RateInfo } from "../shared/actors.ts";
import type { NormalizedError } from "./adapters/types.ts";
import { redact } from "./redact.ts";
import { report } from "./reports.ts";
import type { EventSource, StreamState } from "./stream.ts";
import type { AttemptInput } from "./upstream.ts";
import { isObject, type JsonObject } from "./validate.ts";

export type LegRead =
  | { kind: "chunk"; chunk: JsonObject }
  /** every choice finished; `missingDone`: the provider never said [DONE] */
  | { kind: "end"; missingDone: boolean }
  /** the stream broke: "cut", "stall", "malformed", or "error" (the provider's own mid-stream error) */
  | { kind: "broken"; reason: string; message: string; providerError?: NormalizedError };

/** How a leg ended, for its actor's report. */
export type LegEnd =
  | { kind: "finished"; missingDone: boolean }
  | { kind: "broken"; reason: string; providerError?: NormalizedError }
  /** the caller went away mid-answer: the model was answering fine */
  | { kind: "cancelled" }
  /** freeway stopped reading (the answer diverged from what the caller already has): not the provider's fault */
  | { kind: "dropped" };

/** How long a stream whose every choice finished may take to send its usage chunk and [DONE]. */
const FINISHED_WAIT_MS = 5_000;

export class Leg {
  #held: JsonObject[];
  #closed = false;
  /** when the stream last sent an event (not a keep-alive) */
  #lastDataAt = Date.now();
  readonly model: string;
  readonly provider: string;

  constructor(
    readonly a: AttemptInput,
    private readonly source: EventSource,
    /** what the chunks said so far (the held ones already observed) */
    readonly state: StreamState,
    held: JsonObject[],
    private readonly controller: AbortController,
    /** when the attempt started */
    readonly started: number,
    private readonly rate: RateInfo | undefined,
    /** rests the attempt's watchdog */
    private readonly done: () => void,
  ) {
    this.#held = held;
    this.model = a.model.id;
    this.provider = a.provider.id;
  }

  /** The next chunk, or how the stream ended. Chunks read in the commit window come first. */
  async next(): Promise<LegRead> {
    const held = this.#held.shift();
    if (held) return { kind: "chunk", chunk: held };
    for (;;) {
      // Once every choice has finished only the usage chunk and [DONE] can follow: they get a short wait.
      const idle = this.state.complete() ? Math.min(this.a.settings.idleTimeoutMs, FINISHED_WAIT_MS) : this.a.settings.idleTimeoutMs;
      // Keep-alives (comments, empty events) are bytes, so no stall; without data they count only so long as a
      // provider may think before answering at all.
      const r = await this.source.next(Date.now() + idle, { ms: idle, until: this.#lastDataAt + this.a.settings.responseTimeoutMs });
      if (r.kind === "timeout") return this.afterFinish() ?? this.broken("stall", `no data for ${Date.now() - this.#lastDataAt} ms`);
      this.#lastDataAt = Date.now();
      if (r.kind === "error") return this.afterFinish() ?? this.broken("cut", `the connection dropped (${r.message})`);
      if (r.kind === "end") {
        // Every choice finished: only [DONE] is missing, and we can say it ourselves truthfully.
        if (this.state.complete()) return { kind: "end", missingDone: true };
        return this.broken("cut", "the provider closed the stream before the answer finished");
      }
      if (r.data === "[DONE]") {
        if (this.state.complete()) return { kind: "end", missingDone: false };
        return this.broken("cut", this.state.finished.size > 0 ? "the provider sent [DONE] before every choice finished" : "the provider sent [DONE] before any finish_reason");
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(r.data);
      } catch {
        return this.afterFinish() ?? this.broken("malformed", "the provider sent a malformed chunk");
      }
      if (!isObject(chunk)) return this.afterFinish() ?? this.broken("malformed", "the provider sent a malformed chunk");
      const perr = this.a.adapter.streamError(chunk);
      if (perr) return this.afterFinish() ?? { kind: "broken", reason: "error", message: redact(perr.message, [this.a.provider.key]), providerError: perr };
      this.state.observe(chunk, this.a.adapter.usage(chunk));
      return { kind: "chunk", chunk };
    }
  }

  /**
   * A stall, a cut, garbage or an error after every choice finished: the answer the caller has is whole, so it
   * ends as finished (only [DONE], and perhaps the usage chunk, went missing), and the connection is let go.
   */
  private afterFinish(): LegRead | null {
    if (!this.state.complete()) return null;
    this.controller.abort();
    this.source.cancel();
    return { kind: "end", missingDone: true };
  }

  private broken(reason: string, message: string): LegRead {
    return { kind: "broken", reason, message };
  }

  /** Stop reading, free the upstream connection, and tell the actor how it went (once). */
  close(end: LegEnd): Outcome | null {
    if (this.#closed) return null;
    this.#closed = true;
    this.done();
    if (end.kind !== "finished") {
      this.controller.abort();
      this.source.cancel();
    }
    const outcome = this.outcome(end);
    report(this.a.env, this.a.ctx, outcome);
    const logged = end.kind === "finished" ? "ok" : end.kind === "broken" ? `stream_${end.reason}` : end.kind === "cancelled" ? "client_closed" : "abandoned";
    this.a.log?.attempt({ model: this.model, provider: this.provider, outcome: logged });
    return outcome;
  }

  private outcome(end: LegEnd): Outcome {
    const base = { model: this.model, lease: this.a.lease, poolLease: this.a.poolLease, reserved: this.a.reserved, startedAt: this.started, rate: this.rate, usage: this.state.usage };
    const ttftMs = this.state.firstContentAt ? this.state.firstContentAt - this.started : undefined;
    switch (end.kind) {
      case "finished":
        return {
          ...base,
          ok: true,
          status: 200,
          latencyMs: Date.now() - this.started,
          ttftMs,
          message: end.missingDone ? "stream ended without [DONE] after finishing" : undefined,
        };
      case "cancelled":
        return { ...base, ok: true, status: 200, ttftMs };
      case "dropped":
        // It ran and counts against the limits, but says nothing about the model's health.
        return { ...base, ok: false, status: 0, abandoned: true, message: "the stream was stopped by freeway or the caller" };
      case "broken": {
        if (end.providerError) {
          const c = this.a.adapter.classify(end.providerError, new Headers(), Date.now());
          const message = redact(end.providerError.message, [this.a.provider.key]).slice(0, 200);
          return { ...base, ok: false, status: end.providerError.status, failure: c.failure, scope: c.scope, gone: c.gone, retryAfterMs: c.retryAfterMs, message };
        }
        return { ...base, ok: false, status: 502, failure: "transient", scope: "model", message: `stream ${end.reason} after the commit` };
      }
    }
  }
}
