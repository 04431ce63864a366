// The everyday path through the official OpenAI SDK: plain and streamed answers, tool calls, the model list.

import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import {
  chatLog,
  listModels,
  logMark,
  readStream,
  showGatewayOutputOnFailure,
  startStack,
  uniquePrompt,
  type ListedModel,
  type Stack,
} from "./harness.ts";

let stack: Stack;
let models: ListedModel[];

beforeAll(async () => {
  stack = await startStack();
  models = await listModels(stack);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach((ctx) => showGatewayOutputOnFailure(() => stack, ctx));

/** A provider-model id the gateway lists: "provider/upstream". */
function expectProviderModel(id: string): ListedModel {
  expect(id).toMatch(/^[a-z0-9-]+\/.+/);
  const listed = models.find((m) => m.id === id);
  expect(listed, `${id} is listed by GET /v1/models`).toBeDefined();
  expect(listed?.freeway?.kind).toBe("chat");
  return listed as ListedModel;
}

const WEATHER: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("chat completions through the OpenAI SDK", () => {
  it("answers model auto with the model's answer, a provider/model id, usage and the route headers", async () => {
    const prompt = uniquePrompt("plain chat");
    const since = logMark(stack.sim);
    const { data, response } = await stack.client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: prompt }] })
      .withResponse();

    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message.role).toBe("assistant");
    expect(data.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
    expect(data.choices[0]?.finish_reason).toBe("stop");
    const listed = expectProviderModel(data.model);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));

    expect(response.status).toBe(200);
    expect(response.headers.get("x-freeway-provider")).toBe(listed.owned_by);
    expect(data.model.startsWith(`${response.headers.get("x-freeway-provider")}/`)).toBe(true);
    expect(response.headers.get("x-freeway-model")).toBe(data.model);
    expect(response.headers.get("x-freeway-attempts")).toBe("1");
    expect(response.headers.get("x-request-id")).toMatch(/\S/);

    // Exactly one upstream call, to the model the body names.
    const calls = chatLog(stack.sim, since);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.provider).toBe(listed.owned_by);
    expect(calls[0]?.model).toBe(listed.freeway?.upstream);
  });

  it("shows the same route headers on the raw response (asResponse) and echoes a caller's x-request-id", async () => {
    const prompt = uniquePrompt("raw response");
    const raw = await stack.client.chat.completions
      .create({ model: "auto", messages: [{ role: "user", content: prompt }] }, { headers: { "x-request-id": "e2e-trace-1" } })
      .asResponse();
    expect(raw.status).toBe(200);
    const body = (await raw.json()) as { model: string; choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
    expect(raw.headers.get("x-freeway-model")).toBe(body.model);
    expect(raw.headers.get("x-freeway-provider")).toBe(body.model.split("/")[0]);
    expect(raw.headers.get("x-freeway-attempts")).toBe("1");
    expect(raw.headers.get("x-request-id")).toBe("e2e-trace-1");
  });

  it("streams model auto chunk by chunk, the pieces forming the answer, usage in the last chunk", async () => {
    const prompt = uniquePrompt("stream auto");
    const { data: stream, response } = await stack.client.chat.completions
      .create({ model: "auto", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: prompt }] })
      .withResponse();
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const model = response.headers.get("x-freeway-model") ?? "";
    expectProviderModel(model);
    expect(response.headers.get("x-freeway-attempts")).toBe("1");

    const read = await readStream(stream);
    expect(read.error).toBeUndefined();
    expect(read.pieces.length).toBeGreaterThan(1);
    expect(read.text).toBe(canonicalAnswer(prompt, 12));
    expect(read.finishReason).toBe("stop");
    for (const c of read.chunks) expect(c.model).toBe(model);
    const last = read.chunks[read.chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.prompt_tokens).toBeGreaterThan(0);
    // Usage only where OpenAI puts it: the final chunk.
    expect(read.chunks.slice(0, -1).every((c) => c.usage === undefined || c.usage === null)).toBe(true);
  });

  it("streams incrementally: with a model sending a token every 50 ms the first piece arrives long before the last", async () => {
    const prompt = `${uniquePrompt("slow stream")} [[tokens=20]]`;
    const ruleId = stack.sim.addRule({
      provider: "groq",
      model: "llama-3.1-8b-instant",
      fault: { kind: "slow", firstTokenMs: 0, tokenIntervalMs: 50 },
    });
    try {
      const started = Date.now();
      const stream = await stack.client.chat.completions.create({
        model: "groq/llama-3.1-8b-instant",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: prompt }],
      });
      const read = await readStream(stream);
      expect(read.error).toBeUndefined();
      expect(read.text).toBe(canonicalAnswer(prompt, 20));
      expect(read.pieces.length).toBeGreaterThan(10);
      expect(read.usage?.completion_tokens).toBe(20);
      const first = read.contentTimes[0] ?? 0;
      const last = read.contentTimes[read.contentTimes.length - 1] ?? 0;
      // 19 gaps of 50 ms upstream: a buffering gateway would deliver everything at once.
      expect(last - first).toBeGreaterThan(600);
      expect(first - started).toBeLessThan(last - started - 600);
      // Pieces trickle in: most arrive in their own read, not in one burst.
      const gaps = read.contentTimes.slice(1).map((t, i) => t - (read.contentTimes[i] ?? t));
      expect(gaps.filter((g) => g >= 20).length).toBeGreaterThan(10);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });

  it("completes a tool-call round trip without streaming", async () => {
    const prompt = uniquePrompt("weather in Paris?");
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: prompt }];
    const first = await stack.client.chat.completions.create({ model: "auto", messages, tools: [WEATHER] });
    expectProviderModel(first.model);
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content ?? null).toBeNull();
    const calls = (choice?.message.tool_calls ?? []) as ChatCompletionMessageFunctionToolCall[];
    expect(calls).toHaveLength(1);
    const call = calls[0] as ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe("function");
    expect(call.id).toMatch(/\S/);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });

    const result = "18 degrees and sunny";
    messages.push({ role: "assistant", content: null, tool_calls: calls }, { role: "tool", tool_call_id: call.id, content: result });
    const second = await stack.client.chat.completions.create({ model: "auto", messages, tools: [WEATHER] });
    expectProviderModel(second.model);
    expect(second.choices[0]?.finish_reason).toBe("stop");
    const answer = second.choices[0]?.message.content ?? "";
    expect(answer).toContain(result);
    expect(answer).toBe(`Tool result: ${result}. ${canonicalAnswer(prompt, 12)}`);
  });

  it("completes a tool-call round trip with streaming, arguments arriving in fragments", async () => {
    const prompt = uniquePrompt("streamed weather in Paris?");
    const messages: ChatCompletionMessageParam[] = [{ role: "user", content: prompt }];
    const first = await readStream(await stack.client.chat.completions.create({ model: "auto", stream: true, messages, tools: [WEATHER] }));
    expect(first.error).toBeUndefined();
    expect(first.finishReason).toBe("tool_calls");
    expect(first.text).toBe("");
    expect(first.toolCalls).toHaveLength(1);
    const call = first.toolCalls[0] as { id: string; name: string; arguments: string };
    expect(call.id).toMatch(/\S/);
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
    const argChunks = first.chunks.filter((c) => c.choices.some((ch) => ch.delta.tool_calls?.some((t) => t.function?.arguments)));
    expect(argChunks.length).toBeGreaterThan(1);

    const result = "light rain, 12 degrees";
    messages.push(
      { role: "assistant", content: null, tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }] },
      { role: "tool", tool_call_id: call.id, content: result },
    );
    const second = await readStream(
      await stack.client.chat.completions.create({ model: "auto", stream: true, stream_options: { include_usage: true }, messages, tools: [WEATHER] }),
    );
    expect(second.error).toBeUndefined();
    expect(second.finishReason).toBe("stop");
    expect(second.text).toBe(`Tool result: ${result}. ${canonicalAnswer(prompt, 12)}`);
    expect(second.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("lists presets, family aliases and provider models through client.models.list()", async () => {
    const ids: string[] = [];
    for await (const m of stack.client.models.list()) {
      expect(m.object).toBe("model");
      ids.push(m.id);
    }
    expect(ids).toContain("auto");
    expect(ids).toContain("auto:fast");
    expect(ids).toContain("llama-3.3-70b");
    for (const id of ["groq/llama-3.3-70b-versatile", "gemini/gemini-2.5-flash", "cerebras/gpt-oss-120b", "workers-ai/@cf/openai/gpt-oss-120b"]) {
      expect(ids).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    const providers = new Set(models.filter((m) => m.freeway?.kind === "chat").map((m) => m.owned_by));
    for (const p of ["groq", "gemini", "cerebras", "sambanova", "nvidia", "openrouter", "workers-ai"]) expect(providers).toContain(p);
  });
});
