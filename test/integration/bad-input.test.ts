// Bad requests get a 4xx in the OpenAI error envelope naming the problem — never a 500 — and reach no provider.

import { afterEach, describe, expect, it } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

function setup(settings: Record<string, string> = {}): Gateway {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]), ...settings }, { builtins: false });
  return gw;
}

const HI = [{ role: "user", content: "hi" }];

function post(body: BodyInit | null, contentType: string | null = "application/json"): RequestInit {
  return { method: "POST", headers: contentType ? { "content-type": contentType } : {}, body };
}

interface Case {
  name: string;
  init: RequestInit;
  status: number;
  /** expected `param`, or undefined to skip */
  param?: string | null;
  code?: string;
  /** words the message must contain */
  says?: string;
}

const CASES: Case[] = [
  { name: "invalid JSON", init: post('{"model": "auto", "messages": ['), status: 400, code: "invalid_json", says: "not valid JSON" },
  { name: "an empty body", init: post(""), status: 400, code: "invalid_json", says: "empty" },
  { name: "a body that is not UTF-8", init: post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), status: 400, code: "invalid_encoding" },
  { name: "a JSON array body", init: post("[1, 2]"), status: 400, param: "body", says: "JSON object" },
  { name: "a wrong content-type", init: post(JSON.stringify({ model: "auto", messages: HI }), "text/html"), status: 415, code: "unsupported_media_type", says: "text/html" },
  {
    name: "a gzip-compressed body",
    init: { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]) },
    status: 415,
    code: "unsupported_media_type",
    says: "Content-Encoding",
  },
  { name: "a body declared as UTF-16", init: post(JSON.stringify({ model: "auto", messages: HI }), "application/json; charset=utf-16"), status: 415, code: "unsupported_media_type", says: "UTF-8" },
  { name: "form-encoded data", init: post("model=auto", "application/x-www-form-urlencoded"), status: 415, code: "unsupported_media_type" },
  { name: "missing messages", init: post(JSON.stringify({ model: "auto" })), status: 400, param: "messages", code: "missing_required_parameter" },
  { name: "empty messages", init: post(JSON.stringify({ model: "auto", messages: [] })), status: 400, param: "messages" },
  { name: "messages that is not an array", init: post(JSON.stringify({ model: "auto", messages: "hi" })), status: 400, param: "messages", says: "array" },
  { name: "a missing model", init: post(JSON.stringify({ messages: HI })), status: 400, param: "model", code: "missing_required_parameter" },
  { name: "model: 42", init: post(JSON.stringify({ model: 42, messages: HI })), status: 400, param: "model", says: "string" },
  { name: 'temperature: "hot"', init: post(JSON.stringify({ model: "auto", messages: HI, temperature: "hot" })), status: 400, param: "temperature", says: "number" },
  { name: "temperature: 7", init: post(JSON.stringify({ model: "auto", messages: HI, temperature: 7 })), status: 400, param: "temperature" },
  { name: "max_tokens: 0", init: post(JSON.stringify({ model: "auto", messages: HI, max_tokens: 0 })), status: 400, param: "max_tokens" },
  { name: 'stream: "yes"', init: post(JSON.stringify({ model: "auto", messages: HI, stream: "yes" })), status: 400, param: "stream" },
  {
    name: 'messages[0].role: "robot"',
    init: post(JSON.stringify({ model: "auto", messages: [{ role: "robot", content: "beep" }] })),
    status: 400,
    param: "messages[0].role",
    says: "robot",
  },
  { name: "a user message without content", init: post(JSON.stringify({ model: "auto", messages: [{ role: "user" }] })), status: 400, param: "messages[0].content" },
  {
    name: "a tool message without tool_call_id",
    init: post(JSON.stringify({ model: "auto", messages: [...HI, { role: "tool", content: "42" }] })),
    status: 400,
    param: "messages[1].tool_call_id",
  },
  {
    name: "a tool without a name",
    init: post(JSON.stringify({ model: "auto", messages: HI, tools: [{ type: "function", function: {} }] })),
    status: 400,
    param: "tools[0].function.name",
  },
  {
    name: "an unknown response_format type",
    init: post(JSON.stringify({ model: "auto", messages: HI, response_format: { type: "yaml" } })),
    status: 400,
    param: "response_format.type",
  },
  { name: "a model name of 5,000 characters", init: post(JSON.stringify({ model: `m${"x".repeat(4999)}`, messages: HI })), status: 400, param: "model", says: "256" },
  { name: "a model name holding a line break", init: post(JSON.stringify({ model: "ollama/a\nb", messages: HI })), status: 400, param: "model", says: "control characters" },
  { name: "a models list with an overlong name", init: post(JSON.stringify({ models: ["auto", "y".repeat(300)], messages: HI })), status: 400, param: "models[1]", says: "256" },
  {
    name: "the deprecated 'functions'",
    init: post(JSON.stringify({ model: "auto", messages: HI, functions: [{ name: "get_weather", parameters: { type: "object" } }], function_call: "auto" })),
    status: 400,
    param: "functions",
    code: "unsupported_parameter",
    says: "tools",
  },
  { name: "the deprecated 'function_call'", init: post(JSON.stringify({ model: "auto", messages: HI, function_call: "none" })), status: 400, param: "function_call", says: "tool_choice" },
  { name: "tool_choice 'required' with no tools in the list", init: post(JSON.stringify({ model: "auto", messages: HI, tools: [], tool_choice: "required" })), status: 400, param: "tool_choice", says: "'tools' is empty" },
  {
    name: "a file part",
    init: post(JSON.stringify({ model: "auto", messages: [{ role: "user", content: [{ type: "file", file: { file_data: "JVBERi0=" } }] }] })),
    status: 400,
    param: "messages[0].content[0].type",
    says: "text and image_url",
  },
  {
    name: "an input_audio part",
    init: post(JSON.stringify({ model: "auto", messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }] })),
    status: 400,
    param: "messages[0].content[0].type",
  },
  { name: "an unknown model", init: post(JSON.stringify({ model: "gpt-17-ultra", messages: HI })), status: 400, param: "model", code: "model_not_found", says: "gpt-17-ultra" },
];

describe("bad input", () => {
  it.each(CASES)("answers $status for $name, naming the problem, with nothing sent upstream", async (c) => {
    const g = setup();
    const e = await expectErrorEnvelope(await g.fetch("/v1/chat/completions", c.init), c.status);
    if (c.param !== undefined) expect(e.param).toBe(c.param);
    if (c.code !== undefined) expect(e.code).toBe(c.code);
    if (c.says !== undefined) expect(e.message).toContain(c.says);
    if (c.param) expect(e.message).toContain(c.param);
    expect(g.sim.log()).toEqual([]);
  });

  it("answers 413 for a body larger than MAX_BODY_BYTES, declared or not", async () => {
    const g = setup({ MAX_BODY_BYTES: "1000" });
    const big = JSON.stringify({ model: "auto", messages: [{ role: "user", content: "x".repeat(2000) }] });
    const e = await expectErrorEnvelope(await g.fetch("/v1/chat/completions", post(big)), 413);
    expect(e.message).toContain("1000");

    // The same body streamed without a Content-Length is measured as it is read.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 256) c.enqueue(bytes.slice(i, i + 256));
        c.close();
      },
    });
    const e2 = await expectErrorEnvelope(await g.fetch("/v1/chat/completions", post(stream)), 413);
    expect(e2.message).toContain("1000");

    // One that would never end is refused once it passes the limit, not read to its end first.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(256).fill(0x20));
      },
    });
    const e3 = await expectErrorEnvelope(await g.fetch("/v1/chat/completions", post(endless)), 413);
    expect(e3.message).toContain("1000");
    expect(pulled).toBeLessThan(50);

    // A body under the limit still works.
    const small = await g.fetch("/v1/chat/completions", post(JSON.stringify({ model: "auto", messages: HI })));
    expect(small.status).toBe(200);
    expect(g.sim.log().length).toBe(1);
  });
});

const ODD_BODIES: string[] = [
  "null",
  "42",
  '"a string"',
  "[".repeat(5000) + "]".repeat(5000),
  '{"model": "auto", "messages": [null]}',
  '{"model": "auto", "messages": [{"role": "user", "content": 5}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": []}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": [{"type": "text"}]}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": [{"type": "video", "video": {}}]}]}',
  '{"model": "auto", "messages": [{"role": "assistant", "content": null}]}',
  '{"model": "auto", "messages": [{"role": "assistant", "content": null, "tool_calls": [{"id": 1}]}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi", "tool_calls": []}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi", "name": 7}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": "x"}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [null]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "has space"}}]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function"}}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": {"type": "function", "function": {"name": "g"}}}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "sometimes"}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema"}}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "response_format": "json"}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stop": [1, 2]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "n": 1.5}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "seed": "x"}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e400}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "top_p": -1}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "logit_bias": []}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "user": 5}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": "yes"}}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "models": []}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "models": "auto"}',
  '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "models": [1]}',
  `{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "models": ${JSON.stringify(Array.from({ length: 20 }, (_, i) => `m${i}`))}}`,
  '{"model": "", "messages": [{"role": "user", "content": "hi"}]}',
  '{"model": "   ", "messages": [{"role": "user", "content": "hi"}]}',
  '{"model": "auto:nonexistent", "messages": [{"role": "user", "content": "hi"}]}',
  '{"model": "groq/", "messages": [{"role": "user", "content": "hi"}]}',
  `{"model": "${"x".repeat(5000)}", "messages": [{"role": "user", "content": "hi"}]}`,
  `{"model": "auto", "messages": ${JSON.stringify(Array.from({ length: 3000 }, () => ({ role: "user", content: "hi" })))}}`,
];

describe("odd bodies", () => {
  it("never answers 500 nor calls a provider, whatever the body", async () => {
    const g = setup();
    for (const body of ODD_BODIES) {
      const res = await g.fetch("/v1/chat/completions", post(body));
      if (res.status < 400 || res.status >= 500) throw new Error(`${res.status} for ${body.slice(0, 120)}: ${await res.text()}`);
      await expectErrorEnvelope(res, res.status);
    }
    expect(g.sim.log()).toEqual([]);
  });
});

describe("routes", () => {
  it("answers 404 in the OpenAI envelope for an unknown route", async () => {
    const g = setup();
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["POST", "/v1/completions/legacy"],
      ["GET", "/"],
    ] as const) {
      const res = await g.fetch(path, { method });
      const e = await expectErrorEnvelope(res, 404);
      expect(e.message).toContain(path);
    }
  });

  it("answers 405 with Allow for the wrong method on a known route", async () => {
    const g = setup();
    const res = await g.fetch("/v1/chat/completions", { method: "GET" });
    expect(res.headers.get("allow")).toBe("POST");
    const e = await expectErrorEnvelope(res, 405);
    expect(e.message).toContain("GET");
    const models = await g.fetch("/v1/models", { method: "POST", body: "{}" });
    expect(models.headers.get("allow")).toBe("GET");
    await expectErrorEnvelope(models, 405);
    for (const path of ["/health", "/v1/analytics", "/v1/routing/status", "/dashboard", "/dashboard/app.js"]) {
      const res = await g.fetch(path, { method: "POST", body: "{}" });
      expect(res.headers.get("allow"), path).toBe("GET");
      await expectErrorEnvelope(res, 405);
    }
  });

  it("logs a call to a spending route written with a trailing slash, as it logs the route itself", async () => {
    const p = uniqueProvider();
    const ADMIN = "admin-token-for-this-test-0123";
    gw = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const since = Date.now() - 1000;
    const model = `${p}/m1`;
    expect((await gw.fetch("/v1/chat/completions/", post(JSON.stringify({ model, messages: HI })))).status).toBe(200);
    expect((await gw.fetch("/v1/responses/", post(JSON.stringify({ model, input: "hi" })))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const log = await adminClient(gw, ADMIN).analytics.requests.query({ since, model });
    expect(log.map((r) => r.route).sort()).toEqual(["chat", "responses"]);
  });

  it("answers 405, not 401, for a method no route takes, even in keys mode without a key", async () => {
    const g = setup({ ACCESS: "keys", ADMIN_TOKEN: "admin-token-for-this-test-0123" });
    const put = await g.fetch("/v1/chat/completions", { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" });
    expect(put.headers.get("allow")).toBe("POST");
    await expectErrorEnvelope(put, 405);
    // A call that would spend quota still needs the key first.
    await expectErrorEnvelope(await g.fetch("/v1/chat/completions", post(JSON.stringify({ model: "auto", messages: HI }))), 401);
  });
});
