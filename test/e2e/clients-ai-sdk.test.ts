// The Vercel AI SDK (`ai` + `@ai-sdk/openai-compatible`) against wrangler dev + the simulator, configured with
// nothing but baseURL and apiKey: generateText, streamText, embedMany and tool calls.

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { embedMany, generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import { embedVector } from "../simulator/embeddings.ts";
import { uniquePrompt, useStack } from "./harness.ts";

const stack = useStack();

function freeway(): ReturnType<typeof createOpenAICompatible> {
  // `name` only labels the provider inside the SDK; the connection is baseURL and apiKey.
  return createOpenAICompatible({ name: "freeway", baseURL: stack.baseURL, apiKey: stack.client.apiKey ?? "" });
}

describe("Vercel AI SDK", () => {
  it("generateText", async () => {
    const prompt = uniquePrompt("ai-sdk generate");
    const r = await generateText({ model: freeway()("auto"), prompt });
    expect(r.text).toBe(canonicalAnswer(prompt, 12));
    expect(r.finishReason).toBe("stop");
    expect(r.usage.outputTokens).toBe(12);
  });

  it("streamText, piece by piece", async () => {
    const prompt = uniquePrompt("ai-sdk stream");
    const r = streamText({ model: freeway()("auto"), prompt });
    const pieces: string[] = [];
    for await (const piece of r.textStream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(canonicalAnswer(prompt, 12));
    expect(await r.finishReason).toBe("stop");
  });

  it("embedMany, one vector per value in order", async () => {
    const values = ["sunny day at the beach", "rainy night in the city", "snow on the mountain"];
    const r = await embedMany({ model: freeway().embeddingModel("auto"), values });
    expect(r.embeddings).toHaveLength(3);
    r.embeddings.forEach((e, i) => expect(e).toEqual(embedVector("bge-m3", values[i] as string, 1024)));
    expect(r.usage.tokens).toBeGreaterThan(0);
  });

  it("calls a tool and answers with its result", async () => {
    const seen: Array<{ city: string }> = [];
    const r = await generateText({
      model: freeway()("auto"),
      prompt: "What is the weather in Paris?",
      tools: {
        get_weather: tool({
          description: "Current weather in a city",
          inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }),
          execute: async (input) => {
            seen.push(input);
            return { temperature: 21 };
          },
        }),
      },
      stopWhen: stepCountIs(2),
    });
    expect(seen).toEqual([{ city: "Paris" }]);
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]?.finishReason).toBe("tool-calls");
    expect(r.text.startsWith('Tool result: {"temperature":21}.')).toBe(true);
  });
});
