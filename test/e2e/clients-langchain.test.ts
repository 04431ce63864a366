// LangChain (`@langchain/openai`) against wrangler dev + the simulator, configured with nothing but baseURL and
// apiKey: ChatOpenAI invoke and stream, OpenAIEmbeddings, bindTools.

import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import { embedVector } from "../simulator/embeddings.ts";
import { uniquePrompt, useStack } from "./harness.ts";

const stack = useStack();

function chat(): ChatOpenAI {
  return new ChatOpenAI({ model: "auto", apiKey: stack.client.apiKey, configuration: { baseURL: stack.baseURL } });
}

describe("LangChain", () => {
  it("ChatOpenAI.invoke", async () => {
    const prompt = uniquePrompt("langchain invoke");
    const msg = await chat().invoke(prompt);
    expect(msg.content).toBe(canonicalAnswer(prompt, 12));
    expect(msg.usage_metadata?.output_tokens).toBe(12);
  });

  it("ChatOpenAI.stream, chunk by chunk", async () => {
    const prompt = uniquePrompt("langchain stream");
    const pieces: string[] = [];
    for await (const chunk of await chat().stream(prompt)) if (typeof chunk.content === "string" && chunk.content !== "") pieces.push(chunk.content);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(canonicalAnswer(prompt, 12));
  });

  it("OpenAIEmbeddings for documents and a query", async () => {
    const embeddings = new OpenAIEmbeddings({ model: "auto", apiKey: stack.client.apiKey, configuration: { baseURL: stack.baseURL } });
    const docs = ["the cat sat on the mat", "dogs chase cats"];
    const vectors = await embeddings.embedDocuments(docs);
    expect(vectors).toHaveLength(2);
    vectors.forEach((v, i) => {
      expect(v).toHaveLength(1024);
      // The SDK underneath asks for base64 (float32): equal at float32 precision.
      expect(v).toEqual(embedVector("bge-m3", docs[i] as string, 1024).map(Math.fround));
    });
    expect(await embeddings.embedQuery("where is the cat?")).toHaveLength(1024);
  });

  it("bindTools: the model calls the bound tool", async () => {
    const withTools = chat().bindTools([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather in a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ]);
    const msg = await withTools.invoke("What is the weather in Paris?");
    expect(msg.tool_calls).toHaveLength(1);
    expect(msg.tool_calls?.[0]).toMatchObject({ name: "get_weather", args: { city: "Paris" } });
    expect(msg.tool_calls?.[0]?.id).toMatch(/^call_/);
  });
});
