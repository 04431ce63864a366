// Bad embeddings requests get a 400 in the OpenAI envelope naming the problem, and reach no provider.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gateway, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway;
beforeAll(() => {
  gw = gateway();
});
afterAll(() => gw.close());

interface Case {
  name: string;
  body: unknown;
  param: string;
  code?: string;
  says: string;
}

const CASES: Case[] = [
  { name: "no input", body: { model: "auto" }, param: "input", code: "missing_required_parameter", says: "required" },
  { name: "a model name holding a line break", body: { model: "voyage/a\r\nb", input: "x" }, param: "model", says: "control characters" },
  { name: "an empty list", body: { model: "auto", input: [] }, param: "input", says: "empty list" },
  { name: "an empty string", body: { model: "auto", input: "" }, param: "input", says: "empty string" },
  { name: "an empty string in the list", body: { model: "auto", input: ["fine", ""] }, param: "input[1]", says: "empty string" },
  { name: "a number in the list", body: { model: "auto", input: ["fine", "ok", 3] }, param: "input[2]", says: "string" },
  { name: "more than 2048 inputs", body: { model: "auto", input: Array.from({ length: 2049 }, (_, i) => `t${i}`) }, param: "input", says: "2048" },
  { name: "token ids", body: { model: "auto", input: [101, 2023, 102] }, param: "input", says: "check_embedding_ctx_length" },
  { name: "too many tokens in all", body: { model: "auto", input: ["x".repeat(1_300_000)] }, param: "input", says: "300000" },
  { name: "a chat model", body: { model: "groq/llama-3.3-70b-versatile", input: "hi" }, param: "model", code: "model_not_embedding", says: "chat model" },
  { name: "a chat family alias", body: { model: "llama-3.3-70b", input: "hi" }, param: "model", code: "model_not_embedding", says: "not an embedding model" },
  { name: "a chat preset", body: { model: "auto:fast", input: "hi" }, param: "model", code: "model_not_embedding", says: "preset" },
  { name: "an unknown model", body: { model: "no-such-embedder", input: "hi" }, param: "model", code: "model_not_found", says: "does not exist" },
  { name: "a chat field (messages)", body: { model: "auto", input: "hi", messages: [{ role: "user", content: "hi" }] }, param: "messages", says: "/v1/chat/completions" },
  { name: "a chat field (temperature)", body: { model: "auto", input: "hi", temperature: 0.2 }, param: "temperature", code: "unsupported_parameter", says: "not a parameter of /v1/embeddings" },
  { name: "a chat field (stream)", body: { model: "auto", input: "hi", stream: true }, param: "stream", says: "not a parameter" },
  { name: "a fallback list", body: { model: "auto", input: "hi", models: ["bge-m3", "gemini-embedding-001"] }, param: "models", says: "one embedding model" },
  { name: "an unknown encoding", body: { model: "auto", input: "hi", encoding_format: "int8" }, param: "encoding_format", says: "'float' or 'base64'" },
  { name: "dimensions as a string", body: { model: "auto", input: "hi", dimensions: "512" }, param: "dimensions", says: "positive integer" },
  { name: "dimensions 0", body: { model: "auto", input: "hi", dimensions: 0 }, param: "dimensions", says: "positive integer" },
  { name: "an unknown input_type", body: { model: "auto", input: "hi", input_type: "banana" }, param: "input_type", says: "'query' or 'document'" },
  // Names every object has (the lookup table's prototype), not input types.
  { name: "input_type 'constructor'", body: { model: "auto", input: "hi", input_type: "constructor" }, param: "input_type", says: "'query' or 'document'" },
  { name: "input_type 'toString'", body: { model: "auto", input: "hi", input_type: "toString" }, param: "input_type", says: "'query' or 'document'" },
  { name: "input_type '__proto__'", body: { model: "auto", input: "hi", input_type: "__proto__" }, param: "input_type", says: "'query' or 'document'" },
  { name: "a missing model", body: { input: "hi" }, param: "model", code: "missing_required_parameter", says: "required" },
];

describe("bad embeddings requests", () => {
  for (const c of CASES) {
    it(`refuses ${c.name} with a 400 naming '${c.param}'`, async () => {
      const before = gw.sim.log().length;
      const res = await gw.fetch("/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(c.body) });
      const e = await expectErrorEnvelope(res, 400);
      expect(e.param).toBe(c.param);
      if (c.code) expect(e.code).toBe(c.code);
      expect(e.message).toContain(c.says);
      expect(gw.sim.log().length).toBe(before);
    });
  }

  it("answers GET with 405 and the allowed method", async () => {
    const res = await gw.fetch("/v1/embeddings", { method: "GET" });
    await expectErrorEnvelope(res, 405);
    expect(res.headers.get("allow")).toBe("POST");
  });
});
