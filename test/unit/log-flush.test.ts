// Batched background sends on their own — the request log (worker/ledger.ts), a key's token charges
// (worker/access.ts) and successful attempts' outcomes (worker/reports.ts): what comes in while the previous batch is still on its way goes out with the next flush,
// not whenever some later request happens to come.

import { describe, expect, it } from "vitest";
import type { Env } from "../../worker/env.ts";
import { chargeTokens, type Gate } from "../../worker/access.ts";
import { RequestLog } from "../../worker/ledger.ts";
import { report } from "../../worker/reports.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("request log flushes", () => {
  it("sends a record finished during a flush with the next one", async () => {
    const sent: string[][] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const ledger = {
      append: async (batch: string) => {
        const ids = (JSON.parse(batch) as unknown[][]).map((r) => r[0] as string);
        sent.push(ids);
        if (sent.length === 1) await held; // the first batch's call is slow to come back
      },
    };
    const env = { REQUEST_LEDGER: { getByName: () => ledger }, LOG_FLUSH_MS: "20" } as unknown as Env;
    const background: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void background.push(p), passThroughOnException: () => undefined } as unknown as ExecutionContext;
    const finish = (id: string): void => new RequestLog(env, ctx, { id, route: "chat", key: null }).finish(200);

    finish("A");
    await sleep(50); // A's flush is out, its call not back yet
    expect(sent).toEqual([["A"]]);
    finish("B");
    await sleep(50);
    expect(sent).toEqual([["A"], ["B"]]);
    release();
    await Promise.all(background);
  });

  it("charges a key the tokens used while its previous charge is on its way", async () => {
    const charged: number[] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const limiter = {
      charge: async (tokens: number) => {
        charged.push(tokens);
        if (charged.length === 1) await held;
      },
    };
    const env = { CLIENT_LIMITER: { getByName: () => limiter } } as unknown as Env;
    const background: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void background.push(p) } as unknown as ExecutionContext;
    const key = { id: "k1", quota: { tpd: 1_000_000 } };
    const gate = { limiter: `key:${Math.random()}`, rpcs: 0, settled: { ok: true, key } } as unknown as Gate;

    chargeTokens(env, ctx, gate, 10);
    await sleep(150); // the first charge is out, its call not back yet
    chargeTokens(env, ctx, gate, 20);
    await sleep(150);
    expect(charged).toEqual([10, 20]);
    release();
    await Promise.all(background);
  });

  it("reports a success that came in while the previous batch of outcomes is on its way", async () => {
    const reported: string[][] = [];
    let release = (): void => undefined;
    const held = new Promise<void>((r) => (release = r));
    const actor = {
      reportMany: async (outcomes: Array<{ lease: string }>) => {
        reported.push(outcomes.map((o) => o.lease));
        if (reported.length === 1) await held;
        return { at: Date.now(), headroom: 1 };
      },
    };
    const env = { MODEL_ACTOR: { getByName: () => actor }, REPORT_FLUSH_MS: "20" } as unknown as Env;
    const background: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void background.push(p) } as unknown as ExecutionContext;
    const model = `unit/m-${Math.random()}`;
    const ok = (lease: string) => ({ model, lease, reserved: 10, ok: true, status: 200 });

    report(env, ctx, ok("a"));
    await sleep(50);
    report(env, ctx, ok("b"));
    await sleep(50);
    expect(reported).toEqual([["a"], ["b"]]);
    release();
    await Promise.all(background);
  });
});
