// Embeddings against hosts as they really behave: custom OpenAI-compatible hosts that read input_type, refuse
// big batches (413), or answer with vectors of a size nobody declared; copies that refuse a long input another
// embeds; and an admission won but never used, which gives back what it held (the shared pool's too).

import { afterEach, describe, expect, it } from "vitest";
import type { ActorStatus } from "../../shared/actors.ts";
import { answerOf, askFor, modelKey } from "../../worker/credits.ts";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, send, sleep } from "../helpers/integration.ts";

let gw: Gateway | undefined;
let restoreFetch: (() => void) | undefined;
afterEach(() => {
  restoreFetch?.();
  restoreFetch = undefined;
  gw?.close();
  gw = undefined;
});

function embed(g: Gateway, body: Record<string, unknown>): Promise<Response> {
  return g.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Serve http://emb.test/<provider>/v1/embeddings from `answer` (the provider's id and the parsed body). */
function patchFetch(answer: (provider: string, body: { input: string[] } & Record<string, unknown>) => Promise<Response>): void {
  const original = globalThis.fetch;
  const patched: typeof fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith("http://emb.test/")) return original(input, init);
    const req = new Request(input, init);
    return answer(url.split("/")[3] ?? "", (await req.json()) as { input: string[] });
  };
  globalThis.fetch = patched;
  restoreFetch = () => {
    if (globalThis.fetch === patched) globalThis.fetch = original;
  };
}

const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const vectors = (inputs: string[], dims: number): unknown => ({
  object: "list",
  data: inputs.map((_, index) => ({ object: "embedding", index, embedding: Array.from({ length: dims }, (_, k) => (k === index % dims ? 1 : 0)) })),
  usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
});

describe("embeddings on real hosts' terms", () => {
  it("passes the caller's input_type on to a plain OpenAI-compatible provider", async () => {
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders([{ id: "nim", models: [{ upstream: "nv-embed-selfhosted", kind: "embedding", dimensions: 1536, maxBatch: 8 }] }]) },
      { builtins: false },
    );
    const res = await embed(gw, { model: "nim/nv-embed-selfhosted", input: ["what is a gateway?"], input_type: "query" });
    expect(res.status).toBe(200);
    const call = gw.sim.log().find((e) => e.endpoint === "embeddings");
    // An asymmetric model served by an OpenAI-compatible host (self-hosted NIM, TEI, vLLM) reads input_type.
    expect((call?.body as Record<string, unknown>).input_type).toBe("query");
  });

  it("does not answer 400 context_length_exceeded for a request whose long input was embedded by another copy", async () => {
    // The auction picks either copy first: repeat until the long input met copy a first.
    let seen = 0;
    for (let round = 0; round < 12 && seen < 2; round++) {
      const a = uniqueProvider("a");
      const b = uniqueProvider("b");
      const copy = (upstream: string) => ({ upstream, kind: "embedding", family: `fam-${a}`, dimensions: 4, maxBatch: 1 });
      gw = gateway(
        {
          CUSTOM_PROVIDERS: JSON.stringify([
            { id: a, baseUrl: `http://emb.test/${a}/v1`, apiKey: "k", models: [copy("short-context")] },
            { id: b, baseUrl: `http://emb.test/${b}/v1`, apiKey: "k", models: [copy("long-context")] },
          ]),
        },
        { builtins: false },
      );
      const calls: string[] = [];
      patchFetch(async (provider, body) => {
        const long = body.input.some((t) => t.startsWith("LONG"));
        calls.push(`${provider === a ? "a" : "b"}:${long ? "long" : "short"}`);
        if (long) {
          // Copy a has a shorter context than copy b; b embeds the long text.
          if (provider === a) return json(400, { error: { message: "This model's maximum context length is 512 tokens", type: "invalid_request_error" } });
          return json(200, vectors(body.input, 4));
        }
        // Everything else meets a transient outage at both hosts, a little later.
        await sleep(150);
        return json(503, { error: { message: "upstream overloaded", type: "server_error" } });
      });
      const res = await embed(gw, { model: `fam-${a}`, input: ["LONG text", "short text"] });
      const text = await res.text();
      restoreFetch?.();
      gw.close();
      gw = undefined;
      if (calls.indexOf("a:long") < 0) continue;
      seen++;
      // "LONG text" was embedded (by b); both hosts are down for "short text": a retryable 503, not the long
      // input's refusal by a (OpenAI's SDKs retry a 503, never a 400).
      expect(calls).toContain("b:long");
      expect(res.status, `${calls.join(" ")} ${text}`).toBe(503);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it("never answers with vectors of two sizes when copies of one family differ", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    // Copies whose size the operator did not give (custom hosts): the first answer sets the size.
    const copy = (upstream: string) => ({ upstream, kind: "embedding", family: `fam-${a}`, maxBatch: 1 });
    gw = gateway(
      {
        CUSTOM_PROVIDERS: JSON.stringify([
          { id: a, baseUrl: `http://emb.test/${a}/v1`, apiKey: "k", models: [copy("m")] },
          { id: b, baseUrl: `http://emb.test/${b}/v1`, apiKey: "k", models: [copy("m")] },
        ]),
      },
      { builtins: false },
    );
    patchFetch(async (provider, body) => {
      // Host a serves only "one", host b only "two" (each refuses the other as a parameter it does not support).
      const mine = provider === a ? "one" : "two";
      if (body.input[0] !== mine) return json(400, { error: { message: "unsupported input for this deployment" } });
      await sleep(50);
      return json(200, vectors(body.input, provider === a ? 3 : 4));
    });
    const res = await embed(gw, { model: `fam-${a}`, input: ["one", "two"] });
    const text = await res.text();
    // No one space holds both inputs: an error, never an answer mixing a 3- and a 4-value vector.
    expect(res.status, text).toBe(503);
  });

  it("gives back the pool's reservation too when a won admission is never used (caller gone)", async () => {
    gw = gateway();
    const id = "nvidia/nvidia/nv-embedqa-e5-v5";
    const pool = "nvidia:account";
    await gw.env.MODEL_ACTOR.getByName(id).resetCooldown();
    // One request first, so that both actors know their limits.
    expect((await embed(gw, { model: id, input: ["warm up"] })).status).toBe(200);
    const before = ((await gw.env.POOL_ACTOR.getByName(pool).status()) as ActorStatus).remaining.rpm;
    const modelBefore = ((await gw.env.MODEL_ACTOR.getByName(id).status()) as ActorStatus).remaining.rpm;
    // Hold the auction (it waits for credit another request is asking for) while the caller hangs up.
    const key = modelKey(id);
    expect(askFor(key, 1)).toBe(1);
    let letGo!: () => void;
    void answerOf(key, new Promise<void>((r) => (letGo = r)));
    const caller = new AbortController();
    const pending = send(gw, "/v1/embeddings", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: id, input: ["never sent"] }),
      signal: caller.signal,
    });
    await sleep(50);
    caller.abort();
    letGo();
    const sent = await pending.catch(() => null);
    await sent?.res.arrayBuffer().catch(() => undefined);
    await sent?.settle();
    await sleep(50);
    expect(gw.sim.log().filter((e) => e.endpoint === "embeddings")).toHaveLength(1);
    const modelAfter = ((await gw.env.MODEL_ACTOR.getByName(id).status()) as ActorStatus).remaining.rpm;
    const after = ((await gw.env.POOL_ACTOR.getByName(pool).status()) as ActorStatus).remaining.rpm;
    expect(modelAfter).toBe(modelBefore);
    expect(after).toBe(before);
  });

  it("splits a batch a host refuses as too large (413) instead of answering 503 for ever", async () => {
    // A text-embeddings-inference host: 32 inputs per call at most (its --max-client-batch-size default), which the
    // operator did not declare (maxBatch defaults to OpenAI's 2,048).
    const p = uniqueProvider("tei");
    gw = gateway(
      { CUSTOM_PROVIDERS: JSON.stringify([{ id: p, baseUrl: `http://emb.test/${p}/v1`, apiKey: "k", models: [{ upstream: "bge", kind: "embedding", dimensions: 4 }] }]) },
      { builtins: false },
    );
    const sizes: number[] = [];
    patchFetch(async (_provider, body) => {
      sizes.push(body.input.length);
      if (body.input.length > 32) {
        return json(413, { message: `batch size ${body.input.length} > maximum allowed batch size 32`, code: 413, type: "Validation" });
      }
      return json(200, vectors(body.input, 4));
    });
    const input = Array.from({ length: 100 }, (_, i) => `chunk ${i}`);
    const res = await embed(gw, { model: `${p}/bge`, input });
    const text = await res.text();
    expect(res.status, `${sizes.join(",")} ${text}`).toBe(200);
    expect((JSON.parse(text) as { data: unknown[] }).data).toHaveLength(100);
  });
});
