// The official `openai` npm package against wrangler dev + the simulator, with nothing set but baseURL and apiKey:
// chat completions (plain, streamed, tools), embeddings (float and base64), and the Responses API (create,
// stream, retrieve, delete, previous_response_id, tools).

import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { describe, expect, it } from "vitest";
import { CHAT_MODELS } from "../../shared/catalog/models.ts";
import { canonicalAnswer } from "../simulator/answer.ts";
import { embedVector } from "../simulator/embeddings.ts";
import { chatLog, logMark, uniquePrompt, useStack } from "./harness.ts";

const stack = useStack();

/** A client exactly as a user writes one: baseURL and apiKey, nothing else. */
function client(): OpenAI {
  return new OpenAI({ baseURL: stack.baseURL, apiKey: stack.client.apiKey });
}

/** One fixed provider-model, so two answers to one question come from the same place. */
const MODEL = "groq/llama-3.3-70b-versatile";

const WEATHER_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "Current weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
  strict: false,
};

/**
 * A Response without what differs between two answers to one question (ids and time) and without what the SDK's
 * stream helper adds on its own (`output_parsed`, `parsed`: its structured-output parsing).
 */
function comparable(r: OpenAI.Responses.Response): unknown {
  const { id: _id, created_at: _t, output, ...rest } = r as OpenAI.Responses.Response & { output_parsed?: unknown };
  delete rest.output_parsed;
  const withoutParsed = (part: object): object => {
    const { parsed: _p, ...keep } = part as { parsed?: unknown };
    return keep;
  };
  return {
    ...rest,
    output: output.map(({ id: _i, ...o }) => (o.type === "message" ? { ...o, content: o.content.map(withoutParsed) } : o)),
  };
}

describe("openai SDK: chat completions", () => {
  it("answers, streams and calls tools", async () => {
    const openai = client();
    const prompt = uniquePrompt("sdk chat");
    const plain = await openai.chat.completions.create({ model: "auto", messages: [{ role: "user", content: prompt }] });
    expect(plain.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));

    const stream = await openai.chat.completions.create({ model: "auto", messages: [{ role: "user", content: prompt }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(canonicalAnswer(prompt, 12));

    const tools = [{ type: "function" as const, function: { name: WEATHER_TOOL.name, description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.parameters } }];
    const call = await openai.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "Weather in Paris?" }], tools });
    const tc = call.choices[0]?.message.tool_calls?.[0];
    expect(call.choices[0]?.finish_reason).toBe("tool_calls");
    expect(tc?.type === "function" && tc.function.name).toBe("get_weather");
  });
});

describe("openai SDK: embeddings", () => {
  it("gets float vectors and the SDK's default base64, which decode to the same vectors", async () => {
    const openai = client();
    const input = ["first text", "second text"];
    const float = await openai.embeddings.create({ model: "auto", input, encoding_format: "float" });
    expect(float.object).toBe("list");
    expect(float.data.map((d) => d.index)).toEqual([0, 1]);
    expect(float.model).toMatch(/bge-m3$/);
    expect(float.usage.prompt_tokens).toBeGreaterThan(0);
    expect(float.usage.total_tokens).toBe(float.usage.prompt_tokens);
    for (const [i, d] of float.data.entries()) expect(d.embedding).toEqual(embedVector("bge-m3", input[i] as string, 1024));
    // No encoding_format: the SDK asks for base64 and decodes it itself.
    const b64 = await openai.embeddings.create({ model: "auto", input });
    for (const [i, d] of b64.data.entries()) {
      expect(d.embedding).toHaveLength(1024);
      expect(d.embedding).toEqual(embedVector("bge-m3", input[i] as string, 1024).map(Math.fround));
    }
    const raw = await openai.embeddings.create({ model: "auto", input: "one", encoding_format: "base64" });
    expect(typeof raw.data[0]?.embedding).toBe("string");
  });

  it("passes dimensions to a model that offers them", async () => {
    const r = await client().embeddings.create({ model: "gemini-embedding-001", input: "short", dimensions: 768, encoding_format: "float" });
    expect(r.data[0]?.embedding).toHaveLength(768);
    expect(r.model).toBe("gemini/gemini-embedding-001");
  });

  it("raises a 400 BadRequestError naming the parameter for a chat model", async () => {
    const err = await client()
      .embeddings.create({ model: MODEL, input: "x" })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("model");
  });
});

/**
 * The prompt the model that answered saw. A model without a system role (Gemma on the Gemini API) gets the
 * instructions folded into the user's turn, so its answer is seeded by both.
 */
function seenPrompt(model: string, instructions: string, prompt: string): string {
  const spec = CHAT_MODELS.find((m) => m.id === model);
  return spec?.noSystemRole ? `${instructions}\n\n${prompt}` : prompt;
}

describe("openai SDK: Responses API", () => {
  it("creates a response, retrieves it by id, and deletes it", async () => {
    const openai = client();
    const prompt = uniquePrompt("sdk responses");
    const instructions = "Be brief.";
    const r = await openai.responses.create({ model: "auto", input: prompt, instructions, metadata: { suite: "e2e" } });
    expect(r.object).toBe("response");
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe(canonicalAnswer(seenPrompt(r.model, instructions, prompt), 12));
    expect(r.usage?.output_tokens).toBe(12);
    expect(r.metadata).toEqual({ suite: "e2e" });
    const again = await openai.responses.retrieve(r.id);
    expect(again.id).toBe(r.id);
    expect(again.output_text).toBe(r.output_text);
    expect(comparable(again)).toEqual(comparable(r));
    await openai.responses.delete(r.id);
    const gone = await openai.responses.retrieve(r.id).then(() => null, (e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("streams the documented events in order, and finalResponse() equals the non-streamed answer", async () => {
    const openai = client();
    const prompt = uniquePrompt("sdk responses stream");
    const plain = await openai.responses.create({ model: MODEL, input: prompt });
    const stream = openai.responses.stream({ model: MODEL, input: prompt });
    const events: ResponseStreamEvent[] = [];
    let deltas = "";
    for await (const event of stream) {
      events.push(event);
      if (event.type === "response.output_text.delta") deltas += event.delta;
    }
    const final = await stream.finalResponse();
    const types = events.map((e) => e.type);
    const n = types.filter((t) => t === "response.output_text.delta").length;
    expect(n).toBe(12);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(n).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(deltas).toBe(canonicalAnswer(prompt, 12));
    expect(final.output_text).toBe(plain.output_text);
    expect(comparable(final)).toEqual(comparable(plain));
  });

  it("continues a conversation with previous_response_id", async () => {
    const openai = client();
    const first = await openai.responses.create({ model: "auto", input: "My name is Ada." });
    const mark = logMark(stack.sim);
    const second = await openai.responses.create({ model: "auto", input: "What is my name?", previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    const sent = chatLog(stack.sim, mark)[0]?.body as { messages: Array<{ role: string; content: unknown }> };
    expect(sent.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: first.output_text },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("calls a function tool and takes its output back, non-streamed and streamed", async () => {
    const openai = client();
    const first = await openai.responses.create({ model: "auto", input: "Weather in Paris?", tools: [WEATHER_TOOL] });
    const call = first.output.find((o) => o.type === "function_call");
    expect(call?.type).toBe("function_call");
    if (call?.type !== "function_call") return;
    expect(call.name).toBe("get_weather");
    expect(JSON.parse(call.arguments)).toEqual({ city: "Paris" });
    const second = await openai.responses.create({
      model: "auto",
      previous_response_id: first.id,
      tools: [WEATHER_TOOL],
      input: [{ type: "function_call_output", call_id: call.call_id, output: '{"temp":21}' }],
    });
    expect(second.output_text.startsWith('Tool result: {"temp":21}.')).toBe(true);

    const stream = openai.responses.stream({ model: "auto", input: "Weather in Rome?", tools: [WEATHER_TOOL] });
    const types: string[] = [];
    for await (const e of stream) types.push(e.type);
    expect(types).toContain("response.function_call_arguments.delta");
    expect(types).toContain("response.function_call_arguments.done");
    const final = await stream.finalResponse();
    const streamed = final.output.find((o) => o.type === "function_call");
    expect(streamed?.type === "function_call" && JSON.parse(streamed.arguments)).toEqual({ city: "Paris" });
  });

  it("raises the stream's failure instead of finishing when the answer breaks after it started", async () => {
    const openai = client();
    stack.sim.addRule({ provider: "groq", model: "llama-3.3-70b-versatile", times: 1, fault: { kind: "cut", afterTokens: 3 } });
    const stream = openai.responses.stream({ model: MODEL, input: uniquePrompt("sdk responses cut") });
    const types: string[] = [];
    // The helper ends the iteration at the error event; what it says is in finalResponse()'s rejection.
    await (async () => {
      for await (const e of stream) types.push(e.type);
    })().catch(() => undefined);
    expect(types.slice(-2)).toEqual(["response.failed", "error"]);
    expect(types).not.toContain("response.completed");
    await expect(stream.finalResponse()).rejects.toMatchObject({ type: "error", code: "stream_cut" });
  });
});
