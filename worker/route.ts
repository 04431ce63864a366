// The route trace: every candidate a request tried or skipped, why, and what freeway decided next. It goes out
// as `x-freeway-route` on every chat answer and, when the request asks (`"freeway": {"trace": true}`), as JSON
// in the answer's `freeway.route` field.

import type { JsonObject } from "./validate.ts";

export type RouteEvent =
  /** the auction asked it and it refused (its reason: cooldown, rpm, paced, …) */
  | "skipped"
  /** an attempt failed before anything reached the caller */
  | "failed"
  /** it answered (or, for a stream, started answering) */
  | "ok"
  /** no first token within the budget: a hedged request went to another provider */
  | "hedged"
  /** another attempt answered first, so this one was stopped (its quota use is still counted) */
  | "abandoned"
  /** a committed stream broke; what follows is the rescue */
  | "broke"
  /** a 429 with a short Retry-After was waited out */
  | "waited";

export interface RouteStep {
  model: string;
  event: RouteEvent;
  /** why: a refusal reason, a failure class and status, how a stream broke */
  reason?: string;
  /** what freeway did next */
  decision?: string;
  /** ms since the request arrived */
  at: number;
}

/** Header budget: proxies commonly refuse header lines past 8 KB. */
const MAX_HEADER_CHARS = 4000;
const MAX_STEPS = 64;

/** Header values are ASCII and quoted strings may not hold quotes or backslashes. */
function quoted(s: string): string {
  return `"${s.replace(/[^\x20-\x7e]|["\\]/g, "?")}"`;
}

export class RouteTrace {
  readonly steps: RouteStep[] = [];

  constructor(private readonly started: number) {}

  add(model: string, event: RouteEvent, reason?: string, decision?: string): RouteStep {
    const step: RouteStep = { model, event, at: Date.now() - this.started };
    if (reason !== undefined) step.reason = reason;
    if (decision !== undefined) step.decision = decision;
    if (this.steps.length < MAX_STEPS) this.steps.push(step);
    return step;
  }

  /** Set the decision taken after the latest step about `model` (known only once the next move is chosen). */
  decide(model: string, decision: string): void {
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const s = this.steps[i] as RouteStep;
      if (s.model === model) {
        s.decision ??= decision;
        return;
      }
    }
  }

  /** The steps as JSON, for the answer's `freeway.route`. */
  json(): JsonObject[] {
    return this.steps.map((s) => ({ ...s }));
  }

  /** `model;event;reason="…";decision="…"` per step, comma-separated, oldest first. */
  header(): string {
    let out = "";
    for (const s of this.steps) {
      let part = `${s.model};${s.event}`;
      if (s.reason !== undefined) part += `;reason=${quoted(s.reason)}`;
      if (s.decision !== undefined) part += `;decision=${quoted(s.decision)}`;
      if (out.length + part.length + 2 > MAX_HEADER_CHARS) return `${out}, ...`;
      out = out ? `${out}, ${part}` : part;
    }
    return out;
  }
}
