// Eight providers, three of them broken in different ways: every `auto` request still succeeds, and a model that
// answered 429 with Retry-After is left alone until that time has passed.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, user } from "../helpers/integration.ts";
import type { LogEntry } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

/** Clock slack between the simulator's request timestamps and the actor's cooldown (one isolate, one clock). */
const SLACK_MS = 5;

const batchOf = (e: LogEntry): number => Number(/batch (\d+)/.exec(JSON.stringify(e.body))?.[1] ?? -1);

/**
 * Requests that reached `model` while it was cooling down after a 429 with Retry-After, counting only requests
 * of a later batch than the 429: a batch starts after the previous one finished and its reports were applied,
 * so the gateway knew of the cooldown. (Inside one concurrent batch, a bid the actor granted before the report
 * arrived may still reach the model a few ms after its 429: the report is off the response path by design.)
 */
function cooldownViolations(log: LogEntry[], model: string, retryAfterS: number): LogEntry[] {
  const mine = log.filter((e) => e.model === model);
  const bad: LogEntry[] = [];
  for (const r of mine.filter((e) => e.status === 429)) {
    const until = r.ts + retryAfterS * 1000;
    for (const e of mine) if (batchOf(e) > batchOf(r) && e.ts < until - SLACK_MS) bad.push(e);
  }
  return bad;
}

describe("mixed failover", () => {
  it.each([
    ["", "0"],
    [", with credit", "1000"],
  ])("serves 200 auto requests through 8 providers while 3 throttle, error and hang, never touching a cooling model%s", async (_, credit) => {
    const ids = Array.from({ length: 8 }, (_, i) => uniqueProvider(`p${i}`));
    // One model per provider, named after its provider so the simulator log tells them apart. The healthy five
    // have a daily allowance (1,000 requests) and the broken three none, so the gateway, which spares scarce
    // allowances, tries the broken ones first: every one of them is met in the first batch.
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders(ids.map((id, i) => ({ id, models: [`${id}-m`], ...(i >= 3 ? { limits: { rpd: 1000 } } : {}) }))), CREDIT_MS: credit },
      { builtins: false },
    );
    const [throttled, erroring, hanging] = ids.map((id) => `${id}-m`) as [string, string, string];
    const healthy = new Set(ids.slice(3).map((id) => `${id}/${id}-m`));
    const RETRY_AFTER_S = 1;
    gw.sim.addRule({ provider: "openai", model: throttled, fault: { kind: "rate_limit", retryAfter: RETRY_AFTER_S } });
    gw.sim.addRule({ provider: "openai", model: erroring, fault: { kind: "status", status: 500 } });
    gw.sim.addRule({ provider: "openai", model: hanging, fault: { kind: "hang" } });

    const g = gw;
    const results: Array<{ status: number; model: string | null; attempts: number; bodyModel: string }> = [];
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => g.chat({ model: "auto", messages: user(`batch ${batch} question ${i}`) })),
      );
      for (const r of responses) {
        const body = (await r.json()) as { model?: string };
        results.push({
          status: r.status,
          model: r.headers.get("x-freeway-model"),
          attempts: Number(r.headers.get("x-freeway-attempts")),
          bodyModel: body.model ?? "",
        });
      }
    }

    expect(results.length).toBe(200);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    for (const r of results) {
      expect(healthy.has(r.model ?? "")).toBe(true);
      expect(r.bodyModel).toBe(r.model);
    }
    expect(results.some((r) => r.attempts > 1)).toBe(true);

    const log = g.sim.log();
    // Each broken model was tried, and the failures were what was scripted.
    expect(log.some((e) => e.model === throttled && e.status === 429)).toBe(true);
    expect(log.some((e) => e.model === erroring && e.status === 500)).toBe(true);
    expect(log.some((e) => e.model === hanging && e.aborted)).toBe(true);
    expect(cooldownViolations(log, throttled, RETRY_AFTER_S)).toEqual([]);
    // Three failures in a row cool a failing model: once a batch has seen its third failure, no later batch reaches it.
    for (const m of [erroring, hanging]) {
      const mine = log.filter((e) => e.model === m);
      const third = mine[2];
      if (third) expect(mine.filter((e) => batchOf(e) > batchOf(third))).toEqual([]);
    }
    // Every client answer came from exactly one successful upstream answer.
    expect(log.filter((e) => e.status === 200).length).toBe(200);
  }, 30_000);
});
