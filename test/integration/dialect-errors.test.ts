// Every provider's error shape — Gemini's JSON arrays, OpenRouter's numeric codes, NVIDIA's problem details,
// Workers AI's envelopes, Cerebras's flat bodies, Groq's x_groq stream errors — reaches the caller as OpenAI's
// error envelope (or OpenAI-style error chunk), never raw. Built-in actors are shared across this file.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, type Gateway } from "../helpers/gateway.ts";
import { contentReads, expectErrorEnvelope, modelStatus, routingStatus, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

/** One model per chat dialect: [provider mount, upstream name]. */
const DIALECTS: Array<[string, string]> = [
  ["groq", "openai/gpt-oss-20b"],
  ["gemini", "gemma-3-12b-it"],
  ["cerebras", "gemma-4-31b"],
  ["sambanova", "DeepSeek-V3.1"],
  ["nvidia", "meta/llama-3.1-8b-instruct"],
  ["openrouter", "qwen/qwen3-coder:free"],
  ["workers-ai", "@cf/meta/llama-3.2-3b-instruct"],
];

/** A healthy fallback on another provider (a 5xx skips the failing provider's models for the request). */
const FALLBACK = "groq/llama-3.1-8b-instant";
const fallbackFor = (provider: string): string => (provider === "groq" ? "gemini/gemma-3-4b-it" : FALLBACK);

/** No trace of a provider's own error shape in a message meant for the caller. */
function expectNoRawShape(text: string): void {
  for (const raw of ['[{"error"', '{"error"', '"detail"', '"title"', '"errors"', '"success"', '"metadata"', '"status_code"', "x_groq"]) {
    expect(text).not.toContain(raw);
  }
}

describe("provider errors returned to the caller", () => {
  it.each(DIALECTS)("%s: a 400 comes back as the OpenAI envelope with the provider's message", async (provider, upstream) => {
    gw = gateway();
    gw.sim.addRule({ provider, model: upstream, times: 1, fault: { kind: "status", status: 400, message: "Invalid value for 'foo': bar is not allowed" } });
    const res = await gw.chat({ model: `${provider}/${upstream}`, messages: user("hello") });
    const e = await expectErrorEnvelope(res, 400);
    expect(e.message).toContain("Invalid value for 'foo': bar is not allowed");
    expect(e.type).toBe("invalid_request_error");
    expectNoRawShape(e.message);
    expect(gw.sim.log()).toHaveLength(1);
  });

  it.each(DIALECTS)("%s: when every candidate fails, the 503 is an OpenAI envelope with nothing of the provider's body", async (provider, upstream) => {
    gw = gateway();
    gw.sim.addRule({ provider, model: upstream, times: 1, fault: { kind: "status", status: 500, message: "the upstream exploded" } });
    const res = await gw.chat({ model: `${provider}/${upstream}`, messages: user("hello") });
    const e = await expectErrorEnvelope(res, 503);
    expect(e.type).toBe("service_unavailable");
    expect(typeof e.code).toBe("string");
    expectNoRawShape(e.message);
  });
});

describe("provider errors failed over", () => {
  it.each(DIALECTS)("%s: a 500 fails over to another provider and the caller sees a clean answer", async (provider, upstream) => {
    gw = gateway();
    gw.sim.addRule({ provider, model: upstream, times: 1, fault: { kind: "status", status: 500 } });
    const res = await gw.chat({ models: [`${provider}/${upstream}`, fallbackFor(provider)], messages: user("fail over please") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(fallbackFor(provider));
    expect(res.headers.get("x-freeway-attempts")).toBe("2");
    const text = await res.text();
    expectNoRawShape(text);
    const body = JSON.parse(text) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe(canonicalAnswer("fail over please", 12));
  });
});

describe("mid-stream errors", () => {
  it.each([
    ["groq", "openai/gpt-oss-20b", "generation stopped early"],
    ["cerebras", "gemma-4-31b", "Internal server error while generating"],
    ["openrouter", "qwen/qwen3-coder:free", "upstream stopped mid-stream"],
    ["nvidia", "meta/llama-3.1-8b-instruct", "Internal server error while streaming"],
  ])("%s: an error frame after the commit ends the stream with an OpenAI-style error chunk", async (provider, upstream, words) => {
    gw = gateway();
    const prompt = "Stream and break [[tokens=20]]";
    gw.sim.addRule({ provider, model: upstream, times: 1, fault: { kind: "error_chunk", afterTokens: 8 } });
    const s = await streamChat(gw, { model: `${provider}/${upstream}`, messages: user(prompt) });
    expect(s.res.status).toBe(200);
    expect(contentReads(s)).toBeGreaterThan(1);
    expect(s.text).toBe(canonicalAnswer(prompt, 8));
    expect(s.finishReasons).toEqual(["error"]);
    expect(s.done).toBe(false);
    const last = s.chunks[s.chunks.length - 1] as { object: string; model: string; error: { message: string; type: string; code: unknown; param: unknown } };
    expect(last.object).toBe("chat.completion.chunk");
    expect(last.model).toBe(`${provider}/${upstream}`);
    expect(last.error.message).toContain(words);
    expect(typeof last.error.type).toBe("string");
    expect(typeof last.error.code).toBe("string");
    expect(last.error.param).toBeNull();
    for (const c of s.chunks) {
      expect(c).not.toHaveProperty("status_code");
      expect(c).not.toHaveProperty("x_groq");
    }
  });
});

describe("waits read from error bodies", () => {
  it("cools a Gemini model for the RetryInfo delay of its 429 (no Retry-After header on Gemini)", async () => {
    gw = gateway();
    gw.sim.addRule({ provider: "gemini", model: "gemini-3-flash-preview", times: 1, fault: { kind: "rate_limit", retryAfter: 7 } });
    const res = await gw.chat({ models: ["gemini/gemini-3-flash-preview", FALLBACK], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(FALLBACK);
    const throttledAt = gw.sim.log()[0]?.ts ?? 0;
    const st = modelStatus(await routingStatus(gw), "gemini/gemini-3-flash-preview");
    expect(st.state).toBe("cooling_down");
    expect(Math.abs(Date.parse(st.cooldown_until ?? "") - (throttledAt + 7000))).toBeLessThanOrEqual(50);
  });
});
