// The vector-space rule: a request gets its model's vectors or an error. Failover goes only to another copy of
// the identical model; "auto" is one space, chosen the same way every time; a batch is whole or not at all.

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { embedVector } from "../simulator/index.ts";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

interface EmbeddingList {
  data: Array<{ index: number; embedding: number[] }>;
  model: string;
}

function embed(g: Gateway, body: Record<string, unknown>): Promise<Response> {
  return g.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function embeddingCalls(g: Gateway): Array<{ provider: string; model: string; status: number; inputs: string[] }> {
  return g.sim
    .log()
    .filter((e) => e.endpoint === "embeddings")
    .map((e) => {
      const body = e.body as { input?: string[]; requests?: unknown[] };
      return { provider: e.provider, model: e.model, status: e.status, inputs: body.input ?? [] };
    });
}

/** Clear the cooldowns these tests leave on built-in actors (storage is shared within a file). */
async function resetActors(g: Gateway, ids: string[]): Promise<void> {
  for (const id of ids) await g.env.MODEL_ACTOR.getByName(id).resetCooldown();
}

const M3 = ["workers-ai/@cf/baai/bge-m3", "nvidia/baai/bge-m3"];

describe("one vector space per request", () => {
  it("answers 503 with Retry-After when no copy of the model can serve, and never calls another model", async () => {
    gw = gateway();
    await resetActors(gw, M3);
    gw.sim.addRule({ provider: "workers-ai", model: "@cf/baai/bge-m3", fault: { kind: "rate_limit", retryAfter: 7 } });
    gw.sim.addRule({ provider: "nvidia", model: "baai/bge-m3", fault: { kind: "status", status: 503 } });
    const res = await embed(gw, { model: "auto", input: ["nobody can embed this"] });
    const e = await expectErrorEnvelope(res, 503);
    expect(e.message).toMatch(/never substitutes another embedding model/);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get("x-freeway-embedding-space")).toBe("bge-m3");
    expect(new Set(embeddingCalls(gw).map((c) => c.model))).toEqual(new Set(["@cf/baai/bge-m3", "baai/bge-m3"]));
    // Later requests are refused at once from what the actors learned, still without touching another model.
    const again = await embed(gw, { model: "auto", input: ["still nobody"] });
    expect([429, 503]).toContain(again.status);
    expect(again.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(new Set(embeddingCalls(gw).map((c) => c.model))).toEqual(new Set(["@cf/baai/bge-m3", "baai/bge-m3"]));
    await resetActors(gw, M3);
  });

  it("fails a named model over to its identical copy at another provider, and to nothing else", async () => {
    gw = gateway();
    await resetActors(gw, M3);
    gw.sim.addRule({ provider: "workers-ai", model: "@cf/baai/bge-m3", times: 1, fault: { kind: "status", status: 500 } });
    // The auction may try either copy first: ask until Workers AI's copy has failed once.
    for (let i = 0; i < 20 && !embeddingCalls(gw).some((c) => c.status === 500); i++) {
      const res = await embed(gw, { model: "workers-ai/@cf/baai/bge-m3", input: [`failover text ${i}`] });
      expect(res.status).toBe(200);
      const body = (await res.json()) as EmbeddingList;
      expect(body.data[0]?.embedding).toEqual(embedVector("bge-m3", `failover text ${i}`, 1024));
    }
    const upstream = embeddingCalls(gw);
    const failed = upstream.findIndex((c) => c.status === 500);
    expect(upstream[failed]?.provider).toBe("workers-ai");
    // The same request went on to NVIDIA's copy of the same model.
    expect(upstream[failed + 1]).toMatchObject({ provider: "nvidia", model: "baai/bge-m3", status: 200 });
    for (const c of upstream) expect(c.model).toMatch(/bge-m3$/);
    await resetActors(gw, M3);
  });

  it("retries a batch that fails after others succeeded on another copy, and returns the whole list in order", async () => {
    // Two copies of one model (same family) at two operator-added providers, 2 inputs per call.
    const copy = (upstream: string) => ({ upstream, kind: "embedding", family: "team-embed", dimensions: 1536, maxBatch: 2 });
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: "east", models: [copy("embed-east")] }, { id: "west", models: [copy("embed-west")] }]) }, { builtins: false });
    // The first upstream call succeeds and the second fails, whichever copy each lands on: the failed batch must
    // be retried on the other copy while the rest complete.
    gw.sim.addRule({ provider: "openai", times: 1, fault: { kind: "slow", firstTokenMs: 0 } });
    gw.sim.addRule({ provider: "openai", times: 1, fault: { kind: "status", status: 500 } });
    const input = Array.from({ length: 9 }, (_, i) => `piece ${i}`);
    const res = await embed(gw, { model: "team-embed", input });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as EmbeddingList;
    // One copy's id when it served everything, the model's family when both did.
    expect(["team-embed", "east/embed-east", "west/embed-west"]).toContain(body.model);
    expect(body.data).toHaveLength(9);
    body.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      // Each vector is its own text's, from one of the two copies.
      const text = input[i] as string;
      expect([embedVector("embed-east", text, 1536), embedVector("embed-west", text, 1536)]).toContainEqual(d.embedding);
    });
    const calls = embeddingCalls(gw);
    expect(calls[0]?.status).toBe(200);
    expect(calls[1]?.status).toBe(500);
    const lost = calls[1] as (typeof calls)[number];
    // The failed batch went to the other copy; every input was embedded exactly once.
    expect(calls.slice(2).some((c) => c.model !== lost.model && c.status === 200 && JSON.stringify(c.inputs) === JSON.stringify(lost.inputs))).toBe(true);
    expect(calls.filter((c) => c.status === 200).flatMap((c) => c.inputs).sort()).toEqual([...input].sort());
  });

  it("fails the whole request, never a partial list, when a batch cannot be served by any copy", async () => {
    const copy = (upstream: string) => ({ upstream, kind: "embedding", family: "solo-embed", dimensions: 1536, maxBatch: 2 });
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: "only", models: [copy("embed-only")] }]) }, { builtins: false });
    // The first call succeeds, the next fail: some batches done, one impossible.
    gw.sim.addRule({ provider: "openai", model: "embed-only", times: 1, fault: { kind: "slow", firstTokenMs: 0 } });
    gw.sim.addRule({ provider: "openai", model: "embed-only", fault: { kind: "status", status: 500 } });
    const res = await embed(gw, { model: "solo-embed", input: ["a", "b", "c", "d", "e"] });
    const e = await expectErrorEnvelope(res, 503);
    expect(e.message).toContain("solo-embed");
    expect(embeddingCalls(gw).some((c) => c.status === 200)).toBe(true);
  });

  it("splits a batch bigger than any copy's tokens-per-minute allowance, so two copies together can take it", async () => {
    // Each copy allows 1,000 tokens a minute; the request holds about 1,500.
    const copy = (upstream: string) => ({ upstream, kind: "embedding", family: "tight-embed", dimensions: 1536, maxBatch: 100, limits: { tpm: 1000 } });
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: "one", models: [copy("tight-one")] }, { id: "two", models: [copy("tight-two")] }]) }, { builtins: false });
    const input = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(1000));
    const res = await embed(gw, { model: "tight-embed", input });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as EmbeddingList;
    body.data.forEach((d, i) => expect([embedVector("tight-one", input[i] as string, 1536), embedVector("tight-two", input[i] as string, 1536)]).toContainEqual(d.embedding));
    expect(embeddingCalls(gw).every((c) => c.inputs.length <= 3)).toBe(true);
    // A single input over every copy's allowance is refused as too large, naming the input.
    const huge = await embed(gw, { model: "tight-embed", input: ["x".repeat(5000)] });
    const e = await expectErrorEnvelope(huge, 413);
    expect(e.param).toBe("input");
  });

  it("answers with the same space for auto every time, and the operator can pin it", async () => {
    gw = gateway();
    await resetActors(gw, M3);
    const first = await embed(gw, { model: "auto", input: "pick" });
    expect(first.headers.get("x-freeway-embedding-space")).toBe("bge-m3");
    gw.close();
    gw = gateway({ EMBEDDING_MODEL: "voyage/voyage-3-lite" });
    const pinned = await embed(gw, { model: "auto", input: "pinned" });
    expect(pinned.status).toBe(200);
    const body = (await pinned.json()) as EmbeddingList;
    expect(body.model).toBe("voyage/voyage-3-lite");
    expect(pinned.headers.get("x-freeway-model")).toBe("voyage/voyage-3-lite");
    expect(body.data[0]?.embedding).toHaveLength(512);
    gw.close();
    // Without a configured copy of the pinned model, auto refuses rather than picking another space.
    gw = gateway({ EMBEDDING_MODEL: "voyage/voyage-3-lite", VOYAGE_API_KEY: "" });
    const none = await embed(gw, { model: "auto", input: "pinned" });
    const e = await expectErrorEnvelope(none, 503);
    expect(e.code).toBe("no_provider_configured");
    expect(embeddingCalls(gw)).toEqual([]);
  });

  // Last in the file: it spends NVIDIA's per-minute allowance, which the other tests need.
  it("keeps 100 auto requests in one space while the chosen provider answers 429: same model, same size, or 503/429 with Retry-After", async () => {
    gw = gateway();
    await resetActors(gw, M3);
    // "auto" is bge-m3 here (first in the catalog's preference order); Workers AI's copy throttles every call.
    gw.sim.addRule({ provider: "workers-ai", model: "@cf/baai/bge-m3", fault: { kind: "rate_limit", retryAfter: 1 } });
    // Ten callers at a time, ten rounds.
    const results: Response[] = [];
    for (let round = 0; round < 10; round++) {
      results.push(...(await Promise.all(Array.from({ length: 10 }, (_, k) => embed(gw as Gateway, { model: "auto", input: [`request ${round * 10 + k}`] })))));
    }
    let served = 0;
    for (const [i, res] of results.entries()) {
      if (res.status === 200) {
        served++;
        const body = (await res.json()) as EmbeddingList;
        expect(body.model).toMatch(/bge-m3$/);
        expect(res.headers.get("x-freeway-embedding-space")).toBe("bge-m3");
        expect(body.data[0]?.embedding).toHaveLength(1024);
        // The vector is bge-m3's for this text (the simulator gives identical copies identical vectors).
        expect(body.data[0]?.embedding).toEqual(embedVector("bge-m3", `request ${i}`, 1024));
      } else {
        expect([429, 503], await res.clone().text()).toContain(res.status);
        expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        const e = await expectErrorEnvelope(res, res.status);
        expect(e.message).toContain("bge-m3");
      }
    }
    // NVIDIA's copy serves what its 40 requests a minute allow; everything else is refused honestly.
    expect(served).toBeGreaterThanOrEqual(30);
    const upstream = embeddingCalls(gw);
    expect(new Set(upstream.map((c) => `${c.provider}/${c.model}`))).toEqual(new Set(["workers-ai/@cf/baai/bge-m3", "nvidia/baai/bge-m3"]));
    await resetActors(gw, M3);
  }, 30_000);
});

describe("Retry-After on an embeddings 503", () => {
  it("names the end of the model's backed-off cooldown after a second 429 without Retry-After, not a flat 5 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => void vi.useRealTimers());
    const t0 = Date.UTC(2031, 4, 6, 12);
    vi.setSystemTime(t0);
    const p = uniqueProvider("e");
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: p, models: [{ upstream: "emb", kind: "embedding" }] }]) }, { builtins: false });
    const g = gw;
    // Throttled twice, never saying for how long: the actor backs off 5 s, then 10 s.
    g.sim.addRule({ provider: "openai", model: "emb", times: 2, fault: { kind: "status", status: 429, message: "slow down" } });
    const model = `${p}/emb`;
    expect((await embed(g, { model, input: ["first"] })).status).toBe(503);
    vi.setSystemTime(t0 + 6_000);
    const second = await embed(g, { model, input: ["second"] });
    expect(second.status).toBe(503);
    const wait = Number(second.headers.get("retry-after"));
    // A caller that waits as told is served, not refused again without a call upstream.
    vi.setSystemTime(t0 + 6_000 + wait * 1000);
    const third = await embed(g, { model, input: ["as told"] });
    expect(embeddingCalls(g).map((c) => c.status)).toEqual([429, 429, 200]);
    expect(third.status).toBe(200);
  });
});
