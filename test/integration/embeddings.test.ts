// POST /v1/embeddings end to end in process: OpenAI shape, batching within each provider's limit with order kept,
// both encodings, `dimensions` per dialect, usage synthesised, and the request each dialect really gets.

import { afterEach, describe, expect, it } from "vitest";
import { embedVector, vectorToBase64 } from "../simulator/index.ts";
import { gateway, type Gateway } from "../helpers/gateway.ts";
import { customProviders } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

interface EmbeddingList {
  object: string;
  data: Array<{ object: string; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

function embed(g: Gateway, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return g.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

async function ok(res: Response): Promise<EmbeddingList> {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as EmbeddingList;
}

/** The simulator's upstream embeddings calls so far. */
function calls(g: Gateway): Array<{ provider: string; model: string; body: Record<string, unknown> }> {
  return g.sim
    .log()
    .filter((e) => e.endpoint === "embeddings")
    .map((e) => ({ provider: e.provider, model: e.model, body: e.body as Record<string, unknown> }));
}

const texts = (n: number, label = "text"): string[] => Array.from({ length: n }, (_, i) => `${label} number ${i}`);

describe("POST /v1/embeddings", () => {
  it("answers in OpenAI's shape: a list of embeddings in input order, the model that made them, usage", async () => {
    gw = gateway();
    const input = ["alpha", "beta gamma", "delta"];
    const res = await embed(gw, { model: "workers-ai/@cf/baai/bge-small-en-v1.5", input });
    const body = await ok(res);
    expect(body.object).toBe("list");
    expect(body.model).toBe("workers-ai/@cf/baai/bge-small-en-v1.5");
    expect(body.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
      ["embedding", 2],
    ]);
    for (const [i, d] of body.data.entries()) expect(d.embedding).toEqual(embedVector("@cf/baai/bge-small-en-v1.5", input[i] as string, 384));
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens);
    expect(res.headers.get("x-freeway-model")).toBe(body.model);
    expect(res.headers.get("x-freeway-provider")).toBe("workers-ai");
    expect(res.headers.get("x-freeway-embedding-space")).toBe("workers-ai/@cf/baai/bge-small-en-v1.5");
    expect(res.headers.get("x-request-id")).toMatch(/\S/);
  });

  it("takes a single string as one input", async () => {
    gw = gateway();
    const body = await ok(await embed(gw, { model: "workers-ai/@cf/baai/bge-small-en-v1.5", input: "just one" }));
    expect(body.data).toHaveLength(1);
    expect(body.data[0]?.embedding).toEqual(embedVector("@cf/baai/bge-small-en-v1.5", "just one", 384));
  });

  it("returns a 200-input batch complete and in order from a provider that takes 100 per call", async () => {
    gw = gateway();
    const input = texts(200, "batch");
    const res = await embed(gw, { model: "workers-ai/@cf/baai/bge-base-en-v1.5", input });
    const body = await ok(res);
    expect(body.data).toHaveLength(200);
    body.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      expect(d.embedding).toEqual(embedVector("@cf/baai/bge-base-en-v1.5", input[i] as string, 768));
    });
    // Two upstream calls of 100, each within the provider's limit (the simulator refuses 101).
    const sent = calls(gw);
    expect(sent.map((c) => (c.body.input as string[]).length)).toEqual([100, 100]);
    expect(sent.flatMap((c) => c.body.input as string[]).sort()).toEqual([...input].sort());
    expect(res.headers.get("x-freeway-attempts")).toBe("2");
    // Usage is the sum over the batches.
    const perBatch = sent.map((c) => (c.body.input as string[]).reduce((n, s) => n + Math.ceil(s.length / 4), 0));
    expect(body.usage.prompt_tokens).toBe(perBatch[0]! + perBatch[1]!);
  });

  it("encodes base64 as little-endian float32, the same vector as float", async () => {
    gw = gateway();
    const model = "workers-ai/@cf/baai/bge-small-en-v1.5";
    const f = await ok(await embed(gw, { model, input: ["same text"], encoding_format: "float" }));
    const b = await ok(await embed(gw, { model, input: ["same text"], encoding_format: "base64" }));
    const floats = f.data[0]?.embedding as number[];
    expect(b.data[0]?.embedding).toBe(vectorToBase64(floats));
    const bytes = Uint8Array.from(atob(b.data[0]?.embedding as string), (ch) => ch.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(384 * 4);
    for (let i = 0; i < 384; i += 37) expect(view.getFloat32(i * 4, true)).toBeCloseTo(floats[i] as number, 6);
  });

  it("sends Gemini to the native batchEmbedContents with outputDimensionality for `dimensions`", async () => {
    gw = gateway();
    const body = await ok(await embed(gw, { model: "gemini-embedding-001", input: ["one", "two"], dimensions: 768, input_type: "query" }));
    expect(body.model).toBe("gemini/gemini-embedding-001");
    expect(body.data.map((d) => (d.embedding as number[]).length)).toEqual([768, 768]);
    expect(body.data[1]?.embedding).toEqual(embedVector("gemini-embedding-001", "two", 768));
    // Gemini reports no usage for embeddings: synthesised from the text.
    expect(body.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const [call] = calls(gw);
    expect(call?.provider).toBe("gemini");
    expect(call?.body).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "one" }] }, outputDimensionality: 768, taskType: "RETRIEVAL_QUERY" },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "two" }] }, outputDimensionality: 768, taskType: "RETRIEVAL_QUERY" },
      ],
    });
  });

  it("maps `dimensions` and input_type to Voyage's names and synthesises prompt_tokens from total_tokens", async () => {
    gw = gateway();
    const input = ["voyage text one", "voyage text two"];
    const body = await ok(await embed(gw, { model: "voyage/voyage-3.5-lite", input, dimensions: 512, input_type: "document" }));
    // Voyage is asked for base64 (float32): the floats come back at float32 precision, as Voyage computes them.
    expect(body.data.map((d) => d.embedding)).toEqual(input.map((t) => embedVector("voyage-3.5-lite", t, 512).map(Math.fround)));
    expect(body.usage.prompt_tokens).toBe(body.usage.total_tokens);
    expect(body.usage.total_tokens).toBe(8);
    const [call] = calls(gw);
    expect(call?.body).toEqual({ model: "voyage-3.5-lite", input, encoding_format: "base64", truncation: false, input_type: "document", output_dimension: 512 });
  });

  it("serves Voyage's 4 series, each its own space, at the sizes it offers", async () => {
    gw = gateway();
    for (const upstream of ["voyage-4-lite", "voyage-4", "voyage-4-large"]) {
      const res = await embed(gw, { model: `voyage/${upstream}`, input: ["four"], dimensions: 256 });
      const body = await ok(res);
      expect(body.model).toBe(`voyage/${upstream}`);
      expect(res.headers.get("x-freeway-embedding-space")).toBe(`voyage/${upstream}`);
      expect(body.data[0]?.embedding).toHaveLength(256);
    }
    expect(calls(gw).map((c) => [c.body.model, c.body.output_dimension])).toEqual([
      ["voyage-4-lite", 256],
      ["voyage-4", 256],
      ["voyage-4-large", 256],
    ]);
  });

  it("serves 900 inputs in nine calls of 100: more calls than MAX_ATTEMPTS, none of them failing", async () => {
    gw = gateway();
    const input = texts(900, "many");
    const body = await ok(await embed(gw, { model: "workers-ai/@cf/baai/bge-base-en-v1.5", input }));
    expect(body.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
    expect(calls(gw).map((c) => (c.body.text as string[] | undefined)?.length ?? (c.body.input as string[]).length)).toEqual(Array<number>(9).fill(100));
  });

  it("refuses an input longer than Voyage's context instead of embedding a cut copy of it", async () => {
    gw = gateway();
    const id = "voyage/voyage-3.5";
    // Room for a 40,000-token input at both ends (the free tier's 10K tokens a minute would refuse it first).
    gw.sim.config({ limits: "off" });
    await gw.env.MODEL_ACTOR.getByName(id).setLimits({ rpm: 100, tpm: 1_000_000 });
    const long = "word ".repeat(32_000); // 160,000 characters: ~40,000 tokens, over the 32,000-token context
    const res = await embed(gw, { model: id, input: ["short", long] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("context_length_exceeded");
    expect(body.error.message).toContain("maximum context length of 32000 tokens");
    expect(calls(gw).map((c) => c.body.truncation)).toEqual([false]);
  });

  it("waits for room for a batch once others went out, instead of failing and wasting the calls made", async () => {
    // One call at a time, two inputs each: three calls, the second and third refused for room until the one before ends.
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: "slowly", models: [{ upstream: "e1", kind: "embedding", dimensions: 1536, maxBatch: 2, limits: { concurrency: 1 } }] }]) }, { builtins: false });
    gw.sim.config({ latencyMs: 150 });
    const input = texts(6, "turn");
    const body = await ok(await embed(gw, { model: "slowly/e1", input }));
    expect(body.data.map((d) => d.embedding)).toEqual(input.map((t) => embedVector("e1", t, 1536)));
    expect(gw.sim.log().map((e) => e.status)).toEqual([200, 200, 200]);
  });

  it("always sends NVIDIA an input_type (its asymmetric models refuse a request without one)", async () => {
    gw = gateway();
    const body = await ok(await embed(gw, { model: "nvidia/nvidia/nv-embedqa-e5-v5", input: "what is a gateway?" }));
    expect((body.data[0]?.embedding as number[]).length).toBe(1024);
    expect(calls(gw)[0]?.body).toMatchObject({ model: "nvidia/nv-embedqa-e5-v5", input_type: "query", encoding_format: "float" });
    await ok(await embed(gw, { model: "nvidia/nvidia/nv-embedqa-e5-v5", input: "a passage", input_type: "passage" }));
    expect(calls(gw)[1]?.body).toMatchObject({ input_type: "passage" });
  });

  it("refuses `dimensions` a model cannot give, naming the parameter; the native size is accepted and not sent", async () => {
    gw = gateway();
    const bad = await embed(gw, { model: "workers-ai/@cf/baai/bge-base-en-v1.5", input: "x", dimensions: 256 });
    expect(bad.status).toBe(400);
    const e = ((await bad.json()) as { error: { param: string; message: string } }).error;
    expect(e.param).toBe("dimensions");
    expect(e.message).toContain("768");
    const voyage = await embed(gw, { model: "voyage/voyage-3.5", input: "x", dimensions: 300 });
    expect(voyage.status).toBe(400);
    expect(((await voyage.json()) as { error: { message: string } }).error.message).toContain("256, 512, 1024, 2048");
    const same = await ok(await embed(gw, { model: "workers-ai/@cf/baai/bge-base-en-v1.5", input: "x", dimensions: 768 }));
    expect((same.data[0]?.embedding as number[]).length).toBe(768);
    expect(calls(gw).at(-1)?.body).toEqual({ model: "@cf/baai/bge-base-en-v1.5", input: ["x"] });
  });

  it("passes the caller's fields through to a plain OpenAI-compatible provider, encoding as asked", async () => {
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders([{ id: "local", models: [{ upstream: "nomic-embed", kind: "embedding", dimensions: 1536, maxBatch: 8 }] }]) },
      { builtins: false },
    );
    const body = await ok(await embed(gw, { model: "local/nomic-embed", input: ["a", "b"], encoding_format: "base64", user: "u-1", truncate_prompt_tokens: 64 }));
    expect(typeof body.data[0]?.embedding).toBe("string");
    expect(calls(gw)[0]?.body).toEqual({ model: "nomic-embed", input: ["a", "b"], encoding_format: "base64", user: "u-1", truncate_prompt_tokens: 64 });
  });

  it("splits by the smaller batch limit of the copy that serves, keeping order across copies", async () => {
    gw = gateway({ EMBEDDING_MODEL: "bge-m3" });
    // Only NVIDIA's copy (32 per call) is usable, so 70 inputs go in three calls.
    await gw.env.MODEL_ACTOR.getByName("workers-ai/@cf/baai/bge-m3").setEnabled(false);
    try {
      const input = texts(70, "m3");
      const body = await ok(await embed(gw, { model: "auto", input }));
      expect(body.model).toBe("nvidia/baai/bge-m3");
      expect(body.data.map((d) => d.embedding)).toEqual(input.map((t) => embedVector("bge-m3", t, 1024)));
      expect(calls(gw).map((c) => (c.body.input as string[]).length).sort((a, b) => a - b)).toEqual([6, 32, 32]);
    } finally {
      await gw.env.MODEL_ACTOR.getByName("workers-ai/@cf/baai/bge-m3").setEnabled(true);
    }
  });
});
