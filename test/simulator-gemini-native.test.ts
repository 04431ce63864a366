// The simulator's native Gemini embeddings route (models/{m}:batchEmbedContents), which the gateway's Gemini
// adapter uses for outputDimensionality.

import { describe, expect, it } from "vitest";
import { embedVector, Simulator } from "./simulator/index.ts";

const URL_OF = (model: string): string => `http://sim.test/gemini/v1beta/models/${model}:batchEmbedContents`;

function post(model: string, body: unknown, headers: Record<string, string> = { "x-goog-api-key": "sim-key" }): Request {
  return new Request(URL_OF(model), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

const request = (text: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: "models/gemini-embedding-001",
  content: { parts: [{ text }] },
  ...extra,
});

describe("simulator: Gemini batchEmbedContents", () => {
  it("answers {embeddings: [{values}]} in request order, cut to outputDimensionality, with no usage", async () => {
    const sim = new Simulator();
    const res = await sim.fetch(post("gemini-embedding-001", { requests: [request("a", { outputDimensionality: 256 }), request("b", { outputDimensionality: 256 })] }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { embeddings: Array<{ values: number[] }> };
    expect(Object.keys(body)).toEqual(["embeddings"]);
    expect(body.embeddings.map((e) => e.values)).toEqual([embedVector("gemini-embedding-001", "a", 256), embedVector("gemini-embedding-001", "b", 256)]);
    expect(sim.log()[0]).toMatchObject({ provider: "gemini", endpoint: "embeddings", model: "gemini-embedding-001", status: 200 });
  });

  it("refuses a request naming another model, and sends errors as an object, not the compat layer's array", async () => {
    const sim = new Simulator();
    const res = await sim.fetch(post("gemini-embedding-001", { requests: [{ ...request("a"), model: "models/other" }] }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { status: string; message: string } };
    expect(body.error.status).toBe("INVALID_ARGUMENT");
    expect(body.error.message).toContain("requests[0].model");
    sim.addRule({ provider: "gemini", fault: { kind: "rate_limit", retryAfter: 3 } });
    const limited = await sim.fetch(post("gemini-embedding-001", { requests: [request("a")] }));
    expect(limited.status).toBe(429);
    const err = (await limited.json()) as { error: { details: Array<{ violations?: Array<{ quotaId: string }> }> } };
    expect(err.error.details[0]?.violations?.[0]?.quotaId).toMatch(/^EmbedContentRequestsPerMinute/);
  });

  it("wants a key, and only one kind of credential", async () => {
    const sim = new Simulator();
    expect((await sim.fetch(post("gemini-embedding-001", { requests: [request("a")] }, {}))).status).toBe(401);
    const both = await sim.fetch(post("gemini-embedding-001", { requests: [request("a")] }, { "x-goog-api-key": "k", authorization: "Bearer k" }));
    expect(both.status).toBe(400);
  });
});
