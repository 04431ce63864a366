// Scenarios about what the gateway learns and reports: a provider that keeps failing, one that flaps and comes
// back, and whether the answer after a failover says truthfully who answered and what it cost.

import { estimatePromptTokens } from "../../../test/simulator/answer.ts";
import type { LogEntry, SimFault } from "../../../test/simulator/types.ts";
import type { Outcome } from "./client.ts";
import { answered, askJson, callsSince, idOf, logMark, sleep } from "./client.ts";
import { gradeAnswer, seconds, verdict, worst } from "./grade.ts";
import { ask, baseline, expectedAnswer, NEVER_FIRED } from "./one-shot.ts";
import type { Scenario, Verdict } from "./types.ts";

/** Sequential requests while one provider keeps failing. */
const PERSISTENT_REQUESTS = 8;

/**
 * The provider that answered the baseline fails every call; `PERSISTENT_REQUESTS` requests follow one another.
 * pass: all answered and the gateway stopped asking that provider (the last request did not try it); partial:
 * all answered, but it was still trying it at the end.
 */
export function persistent(name: string, fault: SimFault, text: string): Scenario {
  return {
    name,
    fault: text,
    timeoutMs: 60_000,
    async run(ctx) {
      const base = await baseline(ctx, name);
      if ("grade" in base) return base;
      const sick = base.provider;
      ctx.addRules({ provider: sick, fault });
      const bad: number[] = [];
      const verdicts: Verdict[] = [];
      const tried: number[] = [];
      for (let i = 1; i <= PERSISTENT_REQUESTS; i++) {
        const prompt = ctx.prompt(`${name} ${i}`);
        const mark = logMark(ctx);
        const o = await askJson(ctx, prompt);
        tried.push(callsSince(ctx, mark).filter((c) => c.provider === sick).length);
        const v = gradeAnswer(o, { expected: expectedAnswer(prompt) });
        if (v.grade !== "pass") bad.push(i);
        verdicts.push(v);
      }
      const calls = tried.reduce((a, b) => a + b, 0);
      const hitBy = tried.filter((n) => n > 0).length;
      const pattern = `${sick} was tried by ${hitBy} of ${PERSISTENT_REQUESTS} requests (${calls} calls; per request ${tried.join(",")})`;
      if (bad.length > 0) {
        const w = worst(verdicts);
        return verdict(w.grade, `requests ${bad.join(",")} of ${PERSISTENT_REQUESTS} not answered in full (${pattern}): ${w.reason}`);
      }
      if ((tried.at(-1) ?? 0) > 0) return verdict("partial", `all ${PERSISTENT_REQUESTS} answered, but the gateway kept asking the failing provider: ${pattern}`);
      const last = tried.map((n, i) => (n > 0 ? i + 1 : 0)).reduce((a, b) => Math.max(a, b), 0);
      return verdict("pass", `all ${PERSISTENT_REQUESTS} answered; ${pattern}, none after request ${last}`);
    },
  };
}

const FLAP_FAILING_MS = 3000;
const FLAP_ROUNDS = 3;
const FLAP_EVERY_MS = 200;
/** A cooled-down provider gets this long to serve again after it recovered (cooldown, then a half-open probe). */
const FLAP_RECOVERY_MS = 15_000;

/**
 * The baseline's provider answers 503 for a few seconds, then recovers; a request goes out every 200 ms all along
 * (the gateway's half-open probe needs traffic to ride on) until that provider serves again, for 15 s at most.
 */
export const primaryFlapping: Scenario = {
  name: "primary-flapping",
  fault: `the provider answering now: HTTP 503 for ${FLAP_FAILING_MS / 1000} s, then healthy; a request every ${FLAP_EVERY_MS} ms`,
  timeoutMs: 60_000,
  async run(ctx) {
    const base = await baseline(ctx, "primary-flapping");
    if ("grade" in base) return base;
    let primary = base.provider;
    const pending: Promise<Verdict>[] = [];
    const fire = (): void => {
      const prompt = ctx.prompt(`primary-flapping ${pending.length + 1}`);
      pending.push(askJson(ctx, prompt).then((o) => gradeAnswer(o, { expected: expectedAnswer(prompt) })));
    };
    // A gateway that spreads or re-ranks its traffic may stop asking the baseline's provider on its own; then
    // its outage is never met. Such a round is repeated on the provider answering now (three rounds at most).
    let failing = logMark(ctx);
    for (let round = 1; round <= FLAP_ROUNDS; round++) {
      failing = logMark(ctx);
      const [rule] = ctx.addRules({ provider: primary, fault: { kind: "status", status: 503 } });
      const until = Date.now() + FLAP_FAILING_MS;
      while (Date.now() < until && !ctx.signal.aborted) {
        fire();
        await sleep(FLAP_EVERY_MS, ctx.signal);
      }
      ctx.sim.clearRules(rule);
      const met = callsSince(ctx, failing).some((c) => c.fault === "status");
      const now = answered(callsSince(ctx, failing)).at(-1)?.provider;
      if (met || !now || round === FLAP_ROUNDS) break;
      primary = now;
    }
    const recovered = Date.now();
    const mark = logMark(ctx);
    const refused = callsSince(ctx, failing).filter((c) => c.fault === "status").length;
    let back: LogEntry | undefined;
    while (!back && Date.now() < recovered + FLAP_RECOVERY_MS && !ctx.signal.aborted) {
      fire();
      await sleep(FLAP_EVERY_MS, ctx.signal);
      back = answered(callsSince(ctx, mark)).find((c) => c.provider === primary);
    }
    const results = await Promise.all(pending);
    const bad = results.filter((v) => v.grade !== "pass");
    // A gateway spreading load may not ask the primary in these seconds; then only the recovery is graded.
    const during = `${refused} call${refused === 1 ? "" : "s"} refused while ${primary} was down`;
    if (bad.length > 0) {
      const w = worst(bad);
      return verdict(w.grade, `${bad.length} of ${results.length} requests not answered in full (${during}): ${w.reason}`);
    }
    if (!back) {
      return verdict("partial", `all ${results.length} requests answered (${during}), but ${primary} did not serve again within ${seconds(FLAP_RECOVERY_MS)} of recovering`);
    }
    return verdict("pass", `all ${results.length} requests answered (${during}); ${primary} served again ${seconds(back.ts - recovered)} after it recovered`);
  },
};

/** The name a gateway gives the model that answered: freeway's `provider/model`, or the upstream name itself. */
function names(model: string, e: LogEntry): boolean {
  return model === idOf(e) || model === e.model || model.endsWith(`/${e.model}`);
}

/** Whether the answer after a failover names the model that answered, bills its tokens, and shows the route. */
function accounting(o: Outcome, failed: LogEntry, served: LogEntry | undefined): Verdict {
  if (!served) return verdict("fail", "the caller got an answer, yet no upstream call answered it");
  if (!names(o.model, served) || (o.model === idOf(failed) && idOf(failed) !== idOf(served))) {
    return verdict("fail", `the response names model ${JSON.stringify(o.model)}, but ${idOf(served)} answered (after ${idOf(failed)} failed)`);
  }
  const messages = (served.body as { messages?: unknown[] } | null)?.messages ?? [];
  const want = { prompt: estimatePromptTokens(messages), completion: served.tokensSent };
  const flaws: string[] = [];
  const u = o.usage;
  if (!u) flaws.push("no usage in the answer");
  else if (u.prompt_tokens !== want.prompt || u.completion_tokens !== want.completion || u.total_tokens !== want.prompt + want.completion) {
    flaws.push(`usage ${u.prompt_tokens}+${u.completion_tokens}=${u.total_tokens}, but ${idOf(served)} answered ${want.prompt}+${want.completion}`);
  }
  const freeway = (o.headers?.get("x-freeway-model") ?? null) !== null;
  const route = o.headers?.get("x-freeway-route") ?? null;
  if (route === null && freeway) flaws.push("no x-freeway-route header");
  if (route !== null && !(route.includes(idOf(failed)) && route.includes(idOf(served)))) {
    flaws.push(`x-freeway-route ${JSON.stringify(route)} does not list both the failed ${idOf(failed)} and ${idOf(served)}`);
  }
  if (flaws.length > 0) return verdict("partial", `model ${o.model} is right, but ${flaws.join("; ")}`);
  return verdict("pass", `model ${o.model}, usage ${want.prompt}+${want.completion}${route !== null ? `, x-freeway-route ${route.slice(0, 200)}` : ""}`);
}

const ACCOUNTING_CASES: readonly { label: string; fault: SimFault; stream: boolean }[] = [
  { label: "500 once", fault: { kind: "status", status: 500 }, stream: false },
  { label: "stream cut before its first token once", fault: { kind: "cut", afterTokens: 0 }, stream: true },
];

export const failoverAccounting: Scenario = {
  name: "failover-accounting",
  fault: "first call: HTTP 500 (JSON), then first call: stream cut before its first token",
  timeoutMs: 30_000,
  async run(ctx) {
    const verdicts: Verdict[] = [];
    for (const c of ACCOUNTING_CASES) {
      ctx.sim.clearRules();
      const prompt = ctx.prompt(`failover-accounting ${c.label}`);
      const mark = logMark(ctx);
      ctx.addRules({ times: 1, fault: c.fault });
      const o = await ask(ctx, prompt, c.stream);
      const calls = callsSince(ctx, mark);
      const failed = calls.find((e) => e.fault === c.fault.kind);
      const answer = gradeAnswer(o, { expected: expectedAnswer(prompt), stream: c.stream });
      const v = !failed ? verdict("fail", NEVER_FIRED) : answer.grade !== "pass" ? answer : accounting(o, failed, answered(calls).at(-1));
      verdicts.push(verdict(v.grade, `${c.label}: ${v.reason}`));
    }
    const w = worst(verdicts);
    return w.grade === "pass" ? verdict("pass", verdicts.map((v) => v.reason).join(" | ")) : w;
  },
};
