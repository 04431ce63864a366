// Malformed Responses requests get a 400 naming the field or the input item, and reach no provider.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway;
let model: string;
beforeAll(() => {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
  model = `${p}/m1`;
});
afterAll(() => gw.close());

interface Case {
  name: string;
  body: Record<string, unknown>;
  param: string;
  says: string;
}

const fn = { type: "function", name: "f", parameters: { type: "object" } };

const CASES: Case[] = [
  { name: "no input", body: {}, param: "input", says: "required" },
  { name: "an empty input string", body: { input: "" }, param: "input", says: "empty" },
  { name: "an empty input list", body: { input: [] }, param: "input", says: "empty list" },
  { name: "input as a number", body: { input: 42 }, param: "input", says: "string or a list" },
  { name: "an item that is a string", body: { input: ["hello"] }, param: "input[0]", says: "object" },
  { name: "an item of unknown type", body: { input: [{ type: "mystery" }] }, param: "input[0].type", says: "message, function_call, function_call_output" },
  { name: "a message with an unknown role", body: { input: [{ role: "robot", content: "beep" }] }, param: "input[0].role", says: "robot" },
  { name: "a message without content", body: { input: [{ role: "user" }] }, param: "input[0].content", says: "content" },
  { name: "an empty content list", body: { input: [{ role: "user", content: [] }] }, param: "input[0].content", says: "empty" },
  { name: "a part of unknown type", body: { input: [{ role: "user", content: [{ type: "input_video" }] }] }, param: "input[0].content[0].type", says: "input_text" },
  { name: "input_text without text", body: { input: [{ role: "user", content: [{ type: "input_text" }] }] }, param: "input[0].content[0].text", says: "string" },
  { name: "an image by file_id", body: { input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1" }] }] }, param: "input[0].content[0].file_id", says: "image_url" },
  { name: "a file part", body: { input: [{ role: "user", content: [{ type: "input_file", file_data: "x" }] }] }, param: "input[0].content[0].type", says: "not supported" },
  { name: "a function_call without call_id", body: { input: [{ type: "function_call", name: "f", arguments: "{}" }] }, param: "input[0].call_id", says: "string" },
  { name: "a function_call with arguments as an object", body: { input: [{ type: "function_call", call_id: "c1", name: "f", arguments: {} }] }, param: "input[0].arguments", says: "string" },
  {
    name: "a function_call_output answering no call",
    body: { input: [{ role: "user", content: "hi" }, { type: "function_call_output", call_id: "call_nowhere", output: "42" }] },
    param: "input[1].call_id",
    says: "call_nowhere",
  },
  { name: "an item reference", body: { input: [{ type: "item_reference", id: "msg_1" }] }, param: "input[0].type", says: "not supported" },
  { name: "a hosted tool", body: { input: "hi", tools: [{ type: "web_search" }] }, param: "tools[0].type", says: "function tools only" },
  { name: "a tool without a name", body: { input: "hi", tools: [{ type: "function" }] }, param: "tools[0].name", says: "string" },
  { name: "tool_choice naming a missing tool", body: { input: "hi", tools: [fn], tool_choice: { type: "function", name: "g" } }, param: "tool_choice.name", says: "not in 'tools'" },
  { name: "an unknown text.format", body: { input: "hi", text: { format: { type: "yaml" } } }, param: "text.format.type", says: "json_schema" },
  { name: "json_schema without a schema", body: { input: "hi", text: { format: { type: "json_schema", name: "x" } } }, param: "text.format.schema", says: "schema" },
  { name: "max_output_tokens 0", body: { input: "hi", max_output_tokens: 0 }, param: "max_output_tokens", says: "between" },
  { name: "temperature 3", body: { input: "hi", temperature: 3 }, param: "temperature", says: "between 0 and 2" },
  { name: "metadata with a number", body: { input: "hi", metadata: { n: 1 } }, param: "metadata.n", says: "string" },
  { name: "chat messages", body: { messages: [{ role: "user", content: "hi" }] }, param: "messages", says: "'input'" },
  { name: "max_tokens", body: { input: "hi", max_tokens: 10 }, param: "max_tokens", says: "max_output_tokens" },
  { name: "background mode", body: { input: "hi", background: true }, param: "background", says: "not supported" },
  { name: "a conversation object", body: { input: "hi", conversation: "conv_1" }, param: "conversation", says: "previous_response_id" },
  { name: "stream as a string", body: { input: "hi", stream: "yes" }, param: "stream", says: "boolean" },
  { name: "a model name of 1,000 characters", body: { input: "hi", model: "z".repeat(1000) }, param: "model", says: "256" },
];

describe("bad Responses requests", () => {
  for (const c of CASES) {
    it(`refuses ${c.name} with a 400 naming '${c.param}'`, async () => {
      const res = await gw.fetch("/v1/responses", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, ...c.body }),
      });
      const e = await expectErrorEnvelope(res, 400);
      expect(e.param).toBe(c.param);
      expect(e.message).toContain(c.says);
      expect(gw.sim.log()).toEqual([]);
    });
  }

  it("refuses numbers JSON reads as Infinity, saying they must be finite", async () => {
    for (const field of ["max_output_tokens", "temperature", "top_p"]) {
      const res = await gw.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: `{"model": "${model}", "input": "hi", "${field}": 1e309}` });
      const e = await expectErrorEnvelope(res, 400);
      expect(e.param).toBe(field);
      expect(e.message).toContain("finite");
    }
    expect(gw.sim.log()).toEqual([]);
  });

  it("refuses a missing model", async () => {
    const res = await gw.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input: "hi" }) });
    expect((await expectErrorEnvelope(res, 400)).param).toBe("model");
  });

  it("answers other methods with 405 and the allowed ones", async () => {
    const list = await gw.fetch("/v1/responses", { method: "GET" });
    await expectErrorEnvelope(list, 405);
    expect(list.headers.get("allow")).toBe("POST");
    const put = await gw.fetch("/v1/responses/resp_1", { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
    await expectErrorEnvelope(put, 405);
    expect(put.headers.get("allow")).toBe("GET, DELETE");
  });
});
