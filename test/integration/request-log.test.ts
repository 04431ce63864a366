// The request log: one record per admitted request with its chain of attempts, batched to the day's ledger.

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { ledgerName } from "../../worker/ledger.ts";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => gw?.close());

describe("request log", () => {
  it("records every request once, with the model that answered and each failed attempt", async () => {
    const p = uniqueProvider();
    const q = `${p}x`;
    // Two providers: a provider error takes its sibling models out of the request too.
    const providers = [...JSON.parse(customProvider(p, ["a"])), ...JSON.parse(customProvider(q, ["b"]))];
    gw = gateway({ CUSTOM_PROVIDERS: JSON.stringify(providers) }, { builtins: false });
    const since = Date.now();
    gw.sim.addRule({ provider: "openai", model: "a", times: 2, fault: { kind: "status", status: 500 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await gw.chat({ model: `${p}/a`, models: [`${p}/a`, `${q}/b`], messages: [{ role: "user", content: `q${i}` }] });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const stream = await gw.chat({ model: `${q}/b`, stream: true, messages: [{ role: "user", content: "s" }] });
    expect(stream.status).toBe(200);
    const bad = await gw.chat({ model: `${q}/b`, messages: [] });
    expect(bad.status).toBe(400);
    // Batches go within a second; the gateway helper already waited for the request's background work.
    const rows = (await env.REQUEST_LEDGER.getByName(ledgerName(Date.now())).requests({ since })).filter((r) => r.requested.startsWith(p));
    expect(rows).toHaveLength(7);
    const failedOver = rows.filter((r) => r.attempts.length === 2);
    expect(failedOver).toHaveLength(2);
    for (const r of failedOver) expect(r.attempts.map((x) => x.outcome)).toEqual(["transient", "ok"]);
    expect(rows.filter((r) => r.model === `${q}/b`)).toHaveLength(3);
    expect(rows.filter((r) => r.streamed)).toHaveLength(1);
    expect(rows.find((r) => r.status === 400)?.error).toBe("invalid_value");
    const agg = await env.REQUEST_LEDGER.getByName(ledgerName(Date.now())).aggregate(since - 3_600_000, Date.now() + 60_000);
    const a = agg.find((x) => x.model === `${p}/a`);
    const b = agg.find((x) => x.model === `${q}/b`);
    expect(a).toMatchObject({ requests: 3, succeeded: 3, failoversOut: 2 });
    expect(b).toMatchObject({ requests: 3, succeeded: 3, failoversIn: 2 });
  });

  it("records embeddings and Responses API requests under their routes", async () => {
    gw = gateway();
    const since = Date.now();
    const e = await gw.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "bge-m3", input: ["a", "b"] }) });
    expect(e.status).toBe(200);
    const r = await gw.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "auto", input: "hello", store: false }) });
    expect(r.status).toBe(200);
    const rows = await env.REQUEST_LEDGER.getByName(ledgerName(Date.now())).requests({ since });
    const emb = rows.find((x) => x.route === "embeddings" && x.requested === "bge-m3");
    expect(emb?.model).toBe((await e.json() as { model: string }).model);
    expect(emb?.attempts.at(-1)?.outcome).toBe("ok");
    const resp = rows.find((x) => x.route === "responses");
    expect(resp?.model).toMatch(/\//);
    expect(resp?.tokensOut).toBeGreaterThan(0);
  });
});
