// POST /v1/responses translated onto chat completions: the request each provider gets, the Response object,
// tool calls both ways, structured output, cut answers marked incomplete, failover before the answer starts.

import { afterEach, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/index.ts";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

type Json = Record<string, unknown>;

interface ResponseObject {
  id: string;
  object: string;
  created_at: number;
  status: string;
  error: unknown;
  incomplete_details: { reason: string } | null;
  instructions: string | null;
  model: string;
  output: Array<Json & { type: string; id: string; status: string }>;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details: Json; output_tokens_details: Json };
  metadata: Json;
  tools: Json[];
  tool_choice: unknown;
  text: { format: Json };
  store: boolean;
  previous_response_id: string | null;
}

function setup(models: Array<string | Json> = ["m1"]): { g: Gateway; model: string } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, models as string[]) }, { builtins: false });
  return { g: gw, model: `${p}/${typeof models[0] === "string" ? models[0] : (models[0] as { upstream: string }).upstream}` };
}

function create(g: Gateway, body: Json): Promise<Response> {
  return g.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function ok(res: Response): Promise<ResponseObject> {
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as ResponseObject;
}

/** The chat request the simulator received last. */
function lastChat(g: Gateway): Json {
  const entries = g.sim.log().filter((e) => e.endpoint === "chat");
  return entries[entries.length - 1]?.body as Json;
}

const WEATHER = {
  type: "function",
  name: "get_weather",
  description: "Current weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("POST /v1/responses", () => {
  it("answers a string input with a full Response object: a message with output_text, usage, status", async () => {
    const { g, model } = setup();
    const res = await create(g, { model, input: "Tell me about free tiers", metadata: { team: "docs" } });
    const r = await ok(res);
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r.object).toBe("response");
    expect(r.created_at).toBeGreaterThan(1_700_000_000);
    expect(r.created_at).toBeLessThan(10_000_000_000);
    expect(r.status).toBe("completed");
    expect(r.error).toBeNull();
    expect(r.incomplete_details).toBeNull();
    expect(r.model).toBe(model);
    expect(r.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        status: "completed",
        role: "assistant",
        content: [{ type: "output_text", text: canonicalAnswer("Tell me about free tiers", 12), annotations: [], logprobs: [] }],
      },
    ]);
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBe(12);
    expect(r.usage.total_tokens).toBe(r.usage.input_tokens + 12);
    expect(r.usage.input_tokens_details).toEqual({ cached_tokens: 0 });
    expect(r.usage.output_tokens_details).toEqual({ reasoning_tokens: 0 });
    expect(r.metadata).toEqual({ team: "docs" });
    expect(r.store).toBe(true);
    expect(r.text).toEqual({ format: { type: "text" } });
    expect(res.headers.get("x-freeway-model")).toBe(model);
    expect(res.headers.get("x-freeway-attempts")).toBe("1");
    expect(lastChat(g)).toMatchObject({ model: "m1", messages: [{ role: "user", content: "Tell me about free tiers" }] });
  });

  it("sends instructions as a system message and items with text and image parts as chat messages", async () => {
    const { g, model } = setup([{ upstream: "vision-1", vision: true }]);
    const r = await ok(
      await create(g, {
        model,
        instructions: "Answer briefly.",
        input: [
          { role: "developer", content: "Use metric units." },
          { type: "message", role: "user", content: [{ type: "input_text", text: "What is in this picture?" }, { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" }] },
        ],
        temperature: 0.3,
        top_p: 0.9,
        max_output_tokens: 200,
        user: "user-7",
      }),
    );
    expect(r.instructions).toBe("Answer briefly.");
    expect(lastChat(g)).toEqual({
      model: "vision-1",
      messages: [
        { role: "system", content: "Answer briefly." },
        { role: "system", content: "Use metric units." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=", detail: "low" } },
          ],
        },
      ],
      max_tokens: 200,
      temperature: 0.3,
      top_p: 0.9,
      user: "user-7",
    });
  });

  it("returns a function_call item, then answers the function_call_output (tool round trip)", async () => {
    const { g, model } = setup();
    const first = await ok(await create(g, { model, input: "Weather in Paris?", tools: [WEATHER], tool_choice: "auto" }));
    expect(first.output).toHaveLength(1);
    const call = first.output[0] as { type: string; id: string; call_id: string; name: string; arguments: string; status: string };
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" });
    expect(call.id).toMatch(/^fc_/);
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
    expect(first.tools).toEqual([{ ...WEATHER, strict: null }]);
    expect(lastChat(g)).toMatchObject({
      tools: [{ type: "function", function: { name: "get_weather", description: WEATHER.description, parameters: WEATHER.parameters } }],
      tool_choice: "auto",
    });

    const second = await ok(
      await create(g, {
        model,
        tools: [WEATHER],
        input: [
          { role: "user", content: "Weather in Paris?" },
          { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
          { type: "function_call_output", call_id: call.call_id, output: '{"temp":21}' },
        ],
      }),
    );
    const text = (second.output[0]?.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(text.startsWith('Tool result: {"temp":21}.')).toBe(true);
    expect((lastChat(g).messages as Json[]).slice(1)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: call.call_id, type: "function", function: { name: "get_weather", arguments: call.arguments } }] },
      { role: "tool", tool_call_id: call.call_id, content: '{"temp":21}' },
    ]);
  });

  it("names a required function through tool_choice", async () => {
    const { g, model } = setup();
    const other = { ...WEATHER, name: "get_time" };
    const r = await ok(await create(g, { model, input: "Time?", tools: [WEATHER, other], tool_choice: { type: "function", name: "get_time" } }));
    expect(r.output[0]).toMatchObject({ type: "function_call", name: "get_time" });
    expect(r.tool_choice).toEqual({ type: "function", name: "get_time" });
    expect(lastChat(g).tool_choice).toEqual({ type: "function", function: { name: "get_time" } });
  });

  it("marks an answer cut by max_output_tokens incomplete, never completed", async () => {
    const { g, model } = setup();
    const r = await ok(await create(g, { model, input: "A long answer please [[tokens=50]]", max_output_tokens: 5 }));
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(r.output[0]?.status).toBe("incomplete");
    expect(r.usage.output_tokens).toBe(5);
  });

  it("turns text.format json_schema and json_object into chat response_format", async () => {
    const { g, model } = setup();
    const schema = { type: "object", properties: { city: { type: "string" }, population: { type: "integer" } }, required: ["city", "population"] };
    const r = await ok(await create(g, { model, input: "Largest city?", text: { format: { type: "json_schema", name: "city", schema, strict: true } } }));
    const text = (r.output[0]?.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(JSON.parse(text)).toEqual({ city: "Paris", population: 42 });
    expect(r.text).toEqual({ format: { type: "json_schema", name: "city", schema, strict: true } });
    expect(lastChat(g).response_format).toEqual({ type: "json_schema", json_schema: { name: "city", schema, strict: true } });
    await ok(await create(g, { model, input: "Some JSON", text: { format: { type: "json_object" } } }));
    expect(lastChat(g).response_format).toEqual({ type: "json_object" });
  });

  it("accepts model in every form the chat route does: auto, a preset, a family alias, an ordered list", async () => {
    gw = gateway();
    for (const model of ["auto", "auto:fast", "llama-3.3-70b"]) {
      const r = await ok(await create(gw, { model, input: `hello via ${model}` }));
      expect(r.model).toMatch(/^[a-z0-9-]+\/.+/);
    }
    const listed = await ok(await create(gw, { models: ["groq/llama-3.1-8b-instant", "auto"], input: "hello via a list" }));
    expect(listed.model).toBe("groq/llama-3.1-8b-instant");
    const bad = await create(gw, { model: "no-such-model", input: "x" });
    const e = await expectErrorEnvelope(bad, 400);
    expect(e.param).toBe("model");
  });

  it("fails over before the answer starts, exactly as chat does", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: [{ upstream: "first", family: "fam-r" }] }, { id: b, models: [{ upstream: "second", family: "fam-r" }] }]) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "first", fault: { kind: "status", status: 503 } });
    for (let i = 0; i < 3; i++) {
      const res = await create(gw, { model: "fam-r", input: `try ${i}`, stream: i === 2 });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(`${b}/second`);
      await res.arrayBuffer();
    }
  });

  it("answers 503 with Retry-After (not a response object) when nothing can serve", async () => {
    const { g, model } = setup();
    g.sim.addRule({ provider: "openai", fault: { kind: "rate_limit", retryAfter: 9 } });
    for (const stream of [false, true]) {
      const res = await create(g, { model, input: "nobody home", stream });
      await expectErrorEnvelope(res, 503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    }
  });
});
