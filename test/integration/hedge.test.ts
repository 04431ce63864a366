// Hedged first tokens: a request with no first token within its budget is also sent to another provider with
// ample headroom; the first to produce content wins and the slow one is aborted upstream.

import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { ActorStatus } from "../../shared/actors.ts";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, sleep, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const PROMPT = "Quick one [[tokens=12]]";
/** The hedge budget in these tests: HEDGE_AFTER_MS caps what a model nobody has measured yet would get. */
const BUDGET = 300;

function setup(second: { limits?: Record<string, number> } = {}, settings: Record<string, string> = {}): { g: Gateway; ids: string[] } {
  const a = uniqueProvider("slow");
  const b = uniqueProvider("spare");
  gw = gateway(
    {
      CUSTOM_PROVIDERS: customProviders([
        { id: a, models: ["m0"] },
        { id: b, models: ["m1"], limits: second.limits },
      ]),
      HEDGE_AFTER_MS: String(BUDGET),
      HEDGE_MIN_MS: "50",
      // A 20 s first token must not be cut short by the test timeouts: only the hedge may answer sooner.
      FIRST_BYTE_TIMEOUT_MS: "30000",
      FIRST_TOKEN_TIMEOUT_MS: "30000",
      RESPONSE_TIMEOUT_MS: "30000",
      ...settings,
    },
    { builtins: false },
  );
  return { g: gw, ids: [`${a}/m0`, `${b}/m1`] };
}

describe("hedged first token", () => {
  it("answers a first token delayed 20 s from a hedge within the budget and aborts the slow upstream", async () => {
    const { g, ids } = setup();
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 20_000 } });
    const t0 = Date.now();
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    const took = Date.now() - t0;
    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 12));
    expect(s.done).toBe(true);
    expect(s.res.headers.get("x-freeway-model")).toBe(ids[1]);
    // The hedge went out at the budget and answered at once: far sooner than the 20 s.
    expect(took).toBeGreaterThanOrEqual(BUDGET - 20);
    expect(took).toBeLessThan(BUDGET + 3000);
    const log = g.sim.log();
    expect(log.map((e) => e.model).sort()).toEqual(["m0", "m1"]);
    const slow = log.find((e) => e.model === "m0");
    expect(slow?.aborted).toBe(true);
    expect(slow?.tokensSent).toBe(0);
    const route = s.res.headers.get("x-freeway-route") ?? "";
    expect(route).toContain(`${ids[0]};hedged;reason="no first token after ${BUDGET} ms";decision="also asked ${ids[1]}"`);
    expect(route).toContain(`${ids[0]};abandoned`);
    expect(route).toContain(`${ids[1]};ok`);
  });

  it("hedges a slow non-streaming answer the same way", async () => {
    const { g, ids } = setup();
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 20_000 } });
    const t0 = Date.now();
    const res = await g.chat({ models: ids, messages: user(PROMPT) });
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(BUDGET + 3000);
    const body = (await res.json()) as { model: string; choices: Array<{ message: { content: string } }> };
    expect(body.model).toBe(ids[1]);
    expect(body.choices[0]?.message.content).toBe(canonicalAnswer(PROMPT, 12));
    expect(g.sim.log().find((e) => e.model === "m0")?.aborted).toBe(true);
  });

  it("never hedges into a model whose daily allowance is scarce: it waits for the slow one instead", async () => {
    const { g, ids } = setup({ limits: { rpd: 20 } });
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 1200 } });
    const t0 = Date.now();
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 12));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1100);
    expect(s.res.headers.get("x-freeway-model")).toBe(ids[0]);
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0"]);
    expect(s.res.headers.get("x-freeway-route")).toContain("no other provider with ample headroom: kept waiting");
  });

  it("hedges after the model's measured p95 time to first token when that is shorter than the cap", async () => {
    const { g, ids } = setup({}, { HEDGE_AFTER_MS: "3000" });
    // Never measured, a model is assumed to need 1.6 s at p95; a few quick answers bring that down.
    for (let i = 0; i < 12; i++) expect((await streamChat(g, { models: ids, messages: user(`warm ${i}`) })).done).toBe(true);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 20_000 } });
    const t0 = Date.now();
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 12));
    expect(Date.now() - t0).toBeLessThan(1500);
    const after = Number(/no first token after (\d+) ms/.exec(s.res.headers.get("x-freeway-route") ?? "")?.[1]);
    expect(after).toBeGreaterThanOrEqual(50);
    expect(after).toBeLessThan(1000);
  });

  it("sends no hedge when HEDGE_AFTER_MS is 0", async () => {
    const { g, ids } = setup({}, { HEDGE_AFTER_MS: "0" });
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 800 } });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 12));
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0"]);
  });

  it("sends no hedge for an answer that starts within the budget", async () => {
    const { g, ids } = setup();
    for (let i = 0; i < 5; i++) {
      const s = await streamChat(g, { models: ids, messages: user(`${PROMPT} ${i}`) });
      expect(s.done).toBe(true);
    }
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0", "m0", "m0", "m0", "m0"]);
  });

  it("does not send a whole answer twice that takes its model's usual time, though longer than the cap", async () => {
    const { g, ids } = setup();
    g.sim.config({ latencyMs: 700 });
    for (let i = 0; i < 4; i++) expect((await g.chat({ models: ids, messages: user(`${PROMPT} ${i}`) })).status).toBe(200);
    // Four answers of 700 ms each (the cap is 300): four calls, no hedges.
    expect(g.sim.log()).toHaveLength(4);
  });

  it("sends no hedge when the slow answer arrives while the hedge's auction is still out, and answers at once", async () => {
    const { g, ids } = setup({ limits: { rpm: 10 } });
    const spare = g.env.MODEL_ACTOR.getByName(ids[1] as string);
    await spare.status(); // the actor exists before it is held up
    // The spare model's actor is busy for 1.15 s: the hedge's bid, sent at the 300 ms budget, is answered only after
    // the slow model's answer (600 ms), yet within the auction's wait for it.
    const busy = runInDurableObject(spare, (_instance, state) => state.blockConcurrencyWhile(() => sleep(1150)));
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "slow", firstTokenMs: 600 } });
    const t0 = Date.now();
    // Not waiting for the request's background work: that includes giving the hedge's admission back.
    const res = await g.fetch("/v1/chat/completions", { method: "POST", body: JSON.stringify({ models: ids, stream: true, messages: user(PROMPT) }), background: true });
    const took = Date.now() - t0;
    await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(ids[0]);
    // The answer did not wait for the hedge's auction to come back.
    expect(took).toBeLessThan(950);
    expect(res.headers.get("x-freeway-route")).toContain(`${ids[0]};hedged;reason="no first token after ${BUDGET} ms";decision="it ended before the hedge went out: none sent"`);
    await busy;
    await sleep(200);
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0"]);
    // Its admission went back: the spare model has all of its minute left.
    expect(((await spare.status()) as ActorStatus).remaining.rpm).toBe(10);
  });
});
