// Scenarios where a provider refuses: the caller's own mistake (context too long, content policy), which must come
// back as a clear 4xx, and a rescue that meets a model refusing the assistant prefill it needs.

import { askJson, askStream, callsSince, isPrefill, logMark, upstreamPath } from "./client.ts";
import { explicitFailure, gradeAnswer, verdict, worst } from "./grade.ts";
import { expectedAnswer, NEVER_FIRED } from "./one-shot.ts";
import type { LogEntry, SimFault } from "../../../test/simulator/types.ts";
import type { Outcome } from "./client.ts";
import type { ChaosContext, Scenario, Verdict } from "./types.ts";

/**
 * A scenario of one request while every call meets `fault`, the caller's own mistake: no answer, a 5xx or a 200
 * fail, a retryable status is safe; a real refusal is graded by `grade` from what the caller got and the calls.
 */
function refusal(
  name: string,
  text: string,
  fault: SimFault,
  what: string,
  grade: (o: Outcome, calls: LogEntry[], ctx: ChaosContext) => Verdict,
): Scenario {
  return {
    name,
    fault: text,
    timeoutMs: 30_000,
    async run(ctx) {
      const mark = logMark(ctx);
      ctx.addRules({ fault });
      const o = await askJson(ctx, ctx.prompt(name));
      const calls = callsSince(ctx, mark);
      const said = o.error?.message.slice(0, 160) ?? "";
      if (calls.length === 0) return verdict("fail", NEVER_FIRED);
      if (o.status === 0) return verdict("fail", `no HTTP answer: ${o.transport ?? "nothing"}`);
      if (o.status >= 500) return verdict("fail", `HTTP ${o.status} for the caller's own mistake (${what}): ${said}`);
      if (o.status < 400) return verdict("fail", `HTTP ${o.status} with an answer, although every provider refused the request (${what})`);
      if (o.status === 408 || o.status === 429) return verdict("safe", `HTTP ${o.status} (a retryable refusal) instead of the provider's reason: ${said}`);
      return grade(o, calls, ctx);
    },
  };
}

const calls = (n: number): string => `${n} upstream call${n === 1 ? "" : "s"}`;

export const contextLength = refusal(
  "context-length",
  "every call: 400 context length exceeded",
  { kind: "context_length" },
  "a prompt too long for every model",
  (o, made) => {
    const message = o.error?.message ?? "";
    if (o.error?.code === "context_length_exceeded" || /context|too long|reduce the length/i.test(message)) {
      return verdict("pass", `HTTP ${o.status} ${o.error?.code ?? "(no code)"} after ${calls(made.length)}: ${message.slice(0, 140)}`);
    }
    return verdict("safe", `HTTP ${o.status} after ${calls(made.length)}, but it does not say the prompt is too long: ${message.slice(0, 140)}`);
  },
);

export const contentPolicy = refusal(
  "content-policy",
  "every call: the provider's content-policy refusal",
  { kind: "content_policy" },
  "content the providers refuse",
  (o, made, ctx) => {
    const providers = new Set(made.map((c) => c.provider));
    const asked = `${calls(made.length)} on ${[...providers].join(", ")}`;
    const refused = `HTTP ${o.status}: ${o.error?.message.slice(0, 120) ?? ""}`;
    // Another provider's policy might differ, but asking all of them spends every free tier on a refusal.
    if (made.length > 1 && [...ctx.liveProviders].every((p) => providers.has(p))) {
      return verdict("partial", `the refusal reached the caller (${refused}), but only after asking every provider: ${asked}`);
    }
    return verdict("pass", `${refused} (${asked})`);
  },
);

/** Attempts of the prefill scenario at most, until one of them makes the gateway try a prefill. */
const PREFILL_ATTEMPTS = 3;

/** One try: the first call cut after 20 tokens, every prefill refused. */
async function cutThenRefusePrefill(ctx: ChaosContext, attempt: number): Promise<{ v: Verdict; prefills: number }> {
  const prompt = ctx.prompt(`fallback-rejects-prefill ${attempt}`);
  const mark = logMark(ctx);
  ctx.sim.clearRules();
  ctx.addRules([
    { times: 1, fault: { kind: "cut", afterTokens: 20 } },
    { fault: { kind: "reject_prefill" } },
  ]);
  const o = await askStream(ctx, prompt);
  const calls = callsSince(ctx, mark);
  const prefills = calls.filter(isPrefill).length;
  if (!calls.some((c) => c.fault === "cut")) return { v: verdict("fail", NEVER_FIRED), prefills };
  const path = ` (upstream: ${upstreamPath(calls)})`;
  const told = explicitFailure(o);
  if (told && /prefill/i.test(told)) return { v: verdict("fail", `the caller saw the refusal of the rescue, not the original failure: ${told}${path}`), prefills };
  const v = gradeAnswer(o, { expected: expectedAnswer(prompt), stream: true, slowMs: 5000 });
  return { v: verdict(v.grade, `${v.reason}${path}`), prefills };
}

/**
 * The first call's stream is cut after 20 tokens; every later call that continues an assistant prefill is refused.
 * A gateway that rescues by prefill must fall back to a model that restarts; one that cannot rescue must report
 * the cut, not the refusal of a rescue the caller never asked for. A rescue that restarts at once never meets the
 * refusal, so the scenario tries again (new prompt, whatever the gateway picks first now) until one rescue does.
 */
export const fallbackRejectsPrefill: Scenario = {
  name: "fallback-rejects-prefill",
  fault: "first call (streamed): cut after 20 of 60 tokens; every prefill: 400 not accepted",
  timeoutMs: 45_000,
  async run(ctx) {
    const verdicts: Verdict[] = [];
    for (let attempt = 1; attempt <= PREFILL_ATTEMPTS; attempt++) {
      const { v, prefills } = await cutThenRefusePrefill(ctx, attempt);
      verdicts.push(verdict(v.grade, `attempt ${attempt}: ${v.reason}`));
      if (v.grade !== "pass") return worst(verdicts);
      if (prefills > 0) return verdict("pass", `${v.reason}, after ${prefills} refused prefill call${prefills === 1 ? "" : "s"} (attempt ${attempt})`);
    }
    return verdict("pass", `${verdicts.at(-1)?.reason ?? ""}; in ${PREFILL_ATTEMPTS} attempts the gateway never tried a prefill (each rescue restarted)`);
  },
};
