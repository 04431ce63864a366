// Function calling round trips, non-streamed and streamed: the call, then the answer built on the tool's result.

import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { streamChat, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"] },
    },
  },
];
const QUESTION = "What is the weather in Paris?";
const RESULT = JSON.stringify({ temperature: 21, sky: "clear" });

interface ToolCall {
  id: string;
  type: string;
  function: { name: string; arguments: string };
}

function setup(): { model: string; g: Gateway } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
  return { model: `${p}/m1`, g: gw };
}

function followUp(call: ToolCall): Array<Record<string, unknown>> {
  return [
    { role: "user", content: QUESTION },
    { role: "assistant", content: null, tool_calls: [call] },
    { role: "tool", tool_call_id: call.id, content: RESULT },
  ];
}

describe("tool calls", () => {
  it("returns a tool call, then a final answer containing the tool result (non-streamed)", async () => {
    const { model, g } = setup();
    const first = await g.chat({ model, tools: TOOLS, messages: user(QUESTION) });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { choices: Array<{ message: { role: string; content: string | null; tool_calls?: ToolCall[] }; finish_reason: string }> };
    const choice = body.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.role).toBe("assistant");
    expect(choice?.message.content).toBeNull();
    const call = choice?.message.tool_calls?.[0] as ToolCall;
    expect(choice?.message.tool_calls).toHaveLength(1);
    expect(call.id).toMatch(/^call_/);
    expect(call.type).toBe("function");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", unit: "celsius" });

    const second = await g.chat({ model, tools: TOOLS, messages: followUp(call) });
    expect(second.status).toBe(200);
    const final = (await second.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }> };
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(final.choices[0]?.message.content).toContain(`Tool result: ${RESULT}.`);
    // The tool turn reached the provider as sent, so it could answer from it.
    expect((g.sim.log()[1]?.body as { messages: unknown[] }).messages).toEqual(followUp(call));
  });

  it("streams each tool call whole, with valid JSON arguments, then streams the final answer", async () => {
    const { model, g } = setup();
    const s = await streamChat(g, { model, tools: TOOLS, messages: user(QUESTION) });
    expect(s.res.status).toBe(200);
    // Reassemble the calls by index, as the OpenAI SDKs do.
    const calls = new Map<number, ToolCall>();
    let deltas = 0;
    for (const c of s.chunks) {
      for (const ch of (c.choices ?? []) as Array<{ delta?: { tool_calls?: Array<{ index: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }> } }>) {
        for (const d of ch.delta?.tool_calls ?? []) {
          deltas++;
          const cur = calls.get(d.index) ?? { id: "", type: "", function: { name: "", arguments: "" } };
          if (d.id) cur.id = d.id;
          if (d.type) cur.type = d.type;
          if (d.function?.name) cur.function.name += d.function.name;
          if (d.function?.arguments) cur.function.arguments += d.function.arguments;
          calls.set(d.index, cur);
        }
      }
    }
    // The provider streams the arguments in fragments; freeway passes each call on once it is whole, so a
    // failure inside a call can still fail over (the caller never holds half a call).
    expect(deltas).toBe(1);
    expect(calls.size).toBe(1);
    const call = calls.get(0) as ToolCall;
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", unit: "celsius" });
    expect(s.finishReasons).toEqual(["tool_calls"]);
    expect(s.done).toBe(true);

    const final = await streamChat(g, { model, tools: TOOLS, messages: followUp(call) });
    expect(final.res.status).toBe(200);
    expect(final.text).toContain(`Tool result: ${RESULT}.`);
    expect(final.finishReasons).toEqual(["stop"]);
    expect(final.done).toBe(true);
  });

  it("keeps a conversation with tool history on tools-capable models", async () => {
    const p = uniqueProvider();
    gw = gateway(
      { CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "no-tools", tools: false }, { upstream: "tools" }]) },
      { builtins: false },
    );
    const call: ToolCall = { id: "call_abc", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' } };
    for (let i = 0; i < 4; i++) {
      const res = await gw.chat({ model: "auto", messages: followUp(call) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(`${p}/tools`);
    }
    // A history from the deprecated function-calling API counts as tool history too, even where the model without
    // tools comes first in the caller's list.
    const legacy = [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: null, function_call: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { role: "user", content: "It says 21 degrees. Anything else?" },
    ];
    const res = await gw.chat({ models: [`${p}/no-tools`, `${p}/tools`], messages: legacy });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(`${p}/tools`);
    const plain = await gw.chat({ models: [`${p}/no-tools`, `${p}/tools`], messages: user("Weather in Paris?") });
    expect(plain.headers.get("x-freeway-model")).toBe(`${p}/no-tools`);
  });
});
