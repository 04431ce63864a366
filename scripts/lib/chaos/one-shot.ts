// Scenarios of one fault on whatever the gateway tries first, and the helpers every scenario shares.

import { canonicalAnswer } from "../../../test/simulator/answer.ts";
import type { SimFault } from "../../../test/simulator/types.ts";
import type { Outcome } from "./client.ts";
import { abortedSoon, answered, askJson, askStream, callsSince, idOf, logMark, upstreamPath } from "./client.ts";
import { gradeAnswer, seconds, verdict } from "./grade.ts";
import type { ChaosContext, Scenario, Verdict } from "./types.ts";

/** Every answer is this long: long enough to cut in the middle, short enough to stream in a moment. */
export const ANSWER_TOKENS = 60;

export function expectedAnswer(prompt: string): string {
  return canonicalAnswer(prompt, ANSWER_TOKENS);
}

export function ask(ctx: ChaosContext, prompt: string, stream: boolean): Promise<Outcome> {
  return stream ? askStream(ctx, prompt) : askJson(ctx, prompt);
}

export const NEVER_FIRED =
  "the fault never fired: no upstream call of the gateway reached the simulator (is the gateway's upstream the simulator?)";

/** Baseline requests at most, until two in a row are answered by the same provider. */
const BASELINE_MAX = 6;

/**
 * Plain requests before a persistent fault, until two in a row come from the same provider: that provider is the
 * gateway's settled first choice (a fresh gateway's first pick may differ), so the fault meets the route the
 * gateway would take rather than one it would not have asked anyway.
 */
export async function baseline(ctx: ChaosContext, label: string): Promise<{ provider: string } | Verdict> {
  let last: string | undefined;
  for (let i = 1; i <= BASELINE_MAX; i++) {
    const mark = logMark(ctx);
    const prompt = ctx.prompt(`${label} baseline ${i}`);
    const o = await askJson(ctx, prompt);
    const v = gradeAnswer(o, { expected: expectedAnswer(prompt) });
    const served = answered(callsSince(ctx, mark)).at(-1);
    if (v.grade !== "pass" || !served) return verdict("fail", `baseline request ${i}, with no fault at all, went wrong: ${served ? v.reason : NEVER_FIRED}`);
    if (served.provider === last) break;
    last = served.provider;
  }
  return { provider: last ?? "" };
}

interface OneShot {
  name: string;
  fault: SimFault;
  /** the fault in words, for the scorecard */
  text: string;
  stream: boolean;
  /** a correct answer slower than this is partial */
  slowMs: number;
  timeoutMs?: number;
  /** the faulty call must have been closed by the gateway (a hung or slow call left open wastes a connection) */
  mustAbort?: boolean;
}

/** One request; the first upstream call it causes meets `fault` (a rule with no provider or model, `times: 1`). */
export function oneShot(s: OneShot): Scenario {
  return {
    name: s.name,
    fault: s.text,
    timeoutMs: s.timeoutMs ?? 30_000,
    async run(ctx) {
      const prompt = ctx.prompt(s.name);
      const mark = logMark(ctx);
      ctx.addRules({ times: 1, fault: s.fault });
      const o = await ask(ctx, prompt, s.stream);
      const calls = callsSince(ctx, mark);
      const hit = calls.find((c) => c.fault === s.fault.kind);
      if (!hit) return verdict("fail", NEVER_FIRED);
      const v = gradeAnswer(o, { expected: expectedAnswer(prompt), stream: s.stream, slowMs: s.slowMs });
      const path = ` (upstream: ${upstreamPath(calls)})`;
      if (!s.mustAbort || v.grade !== "pass" || (await abortedSoon(ctx, hit.seq))) return verdict(v.grade, v.reason + path);
      return verdict("partial", `the complete answer in ${seconds(o.ms)}, but the faulty upstream call (${idOf(hit)}) was left open${path}`);
    },
  };
}
