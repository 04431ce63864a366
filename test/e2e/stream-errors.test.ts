// A stream that breaks after the commit (the first content went out) must end in an error the SDK raises:
// never a normal end of iteration with part of the answer.

import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import type { SimFault } from "../simulator/types.ts";
import { chatLog, logMark, readStream, uniquePrompt, useStack } from "./harness.ts";

const stack = useStack();

interface Case {
  name: string;
  fault: SimFault;
  /** requested exactly, one model per case, so one case's failure report cannot change another's route */
  model: string;
}

const CASES: Case[] = [
  { name: "the connection drops after 10 of 30 tokens", fault: { kind: "cut", afterTokens: 10 }, model: "nvidia/meta/llama-4-maverick-17b-128e-instruct" },
  { name: "the stream ends cleanly after 10 of 30 tokens, with no finish_reason", fault: { kind: "cut", afterTokens: 10, clean: true }, model: "nvidia/qwen/qwen3.5-397b-a17b" },
  { name: "the stream stalls after 10 of 30 tokens", fault: { kind: "stall", afterTokens: 10 }, model: "nvidia/moonshotai/kimi-k2-instruct-0905" },
  { name: "the provider sends an error chunk after 10 of 30 tokens", fault: { kind: "error_chunk", afterTokens: 10 }, model: "nvidia/z-ai/glm-5.1" },
  { name: "the provider sends a garbled chunk after 10 of 30 tokens", fault: { kind: "malformed", afterTokens: 10 }, model: "groq/openai/gpt-oss-20b" },
];

describe("a stream broken after the commit", () => {
  for (const c of CASES) {
    it(`raises an error in the SDK's iterator when ${c.name}`, async () => {
      const prompt = `${uniquePrompt(`broken stream ${c.fault.kind}`)} [[tokens=30]]`;
      const full = canonicalAnswer(prompt, 30);
      const slash = c.model.indexOf("/");
      const since = logMark(stack.sim);
      const ruleId = stack.sim.addRule({ provider: c.model.slice(0, slash), model: c.model.slice(slash + 1), times: 1, fault: c.fault });
      try {
        const { data: stream, response } = await stack.client.chat.completions
          .create({ model: c.model, stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: prompt }] })
          .withResponse();
        // The head went out at the commit: a 200 stream from the chosen model.
        expect(response.status).toBe(200);
        expect(response.headers.get("x-freeway-model")).toBe(c.model);
        const read = await readStream(stream);

        expect(read.error, "the iterator must throw, not end normally").toBeInstanceOf(APIError);
        const err = read.error as APIError;
        expect(err.message).toMatch(/incomplete|cut|stall|drop|malformed|error/i);
        // What did arrive is the true beginning of the answer, and visibly short of it.
        expect(read.pieces.length).toBeGreaterThan(0);
        expect(read.pieces.length).toBeLessThanOrEqual(10);
        expect(full.startsWith(read.text)).toBe(true);
        expect(read.text.length).toBeLessThan(full.length);
        expect(read.finishReason === "stop" || read.finishReason === "length").toBe(false);

        const calls = chatLog(stack.sim, since);
        expect(calls[0]?.fault).toBe(c.fault.kind);
      } finally {
        stack.sim.clearRules(ruleId);
      }
    });
  }

  it("raises the error through the raw SSE too: an error object and finish_reason \"error\", never [DONE] after partial text alone", async () => {
    const model = "nvidia/nvidia/nemotron-3-ultra-550b-a55b";
    const prompt = `${uniquePrompt("raw broken stream")} [[tokens=30]]`;
    const ruleId = stack.sim.addRule({ provider: "nvidia", model: "nvidia/nemotron-3-ultra-550b-a55b", times: 1, fault: { kind: "cut", afterTokens: 10 } });
    try {
      const res = await fetch(`${stack.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: prompt }] }),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      const events = text
        .split("\n\n")
        .map((e) => e.trim())
        .filter((e) => e.startsWith("data: "))
        .map((e) => e.slice("data: ".length));
      const last = events.filter((e) => e !== "[DONE]").at(-1) ?? "";
      const parsed = JSON.parse(last) as { error?: { message?: string; code?: string }; choices?: { finish_reason?: string | null }[] };
      expect(parsed.error?.message).toMatch(/\S/);
      expect(parsed.choices?.[0]?.finish_reason).toBe("error");
      const content = events
        .filter((e) => e !== "[DONE]")
        .map((e) => JSON.parse(e) as { choices?: { delta?: { content?: string } }[] })
        .map((chunk) => chunk.choices?.[0]?.delta?.content ?? "")
        .join("");
      expect(canonicalAnswer(prompt, 30).startsWith(content)).toBe(true);
      expect(content.length).toBeGreaterThan(0);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });

  it("makes the SDK's stream() helper reject rather than hand back a partial final completion", async () => {
    const model = "nvidia/mistralai/mistral-large-3-675b-instruct-2512";
    const prompt = `${uniquePrompt("helper broken stream")} [[tokens=30]]`;
    const ruleId = stack.sim.addRule({ provider: "nvidia", model: "mistralai/mistral-large-3-675b-instruct-2512", times: 1, fault: { kind: "cut", afterTokens: 10 } });
    try {
      const runner = stack.client.chat.completions.stream({ model, messages: [{ role: "user", content: prompt }] });
      let content = "";
      runner.on("content", (delta) => (content += delta));
      await expect(runner.finalChatCompletion()).rejects.toBeInstanceOf(APIError);
      expect(canonicalAnswer(prompt, 30).startsWith(content)).toBe(true);
      expect(content.length).toBeGreaterThan(0);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });
});
