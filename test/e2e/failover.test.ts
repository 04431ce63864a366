// Failover the SDK never sees: the first model chosen throttles, errors, hangs or drops its stream before the
// first token, and the call still resolves with a whole answer from another model.

import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { APIError } from "openai";
import { describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import type { SimFault } from "../simulator/types.ts";
import { chatLog, logMark, readStream, uniquePrompt, useStack } from "./harness.ts";

const stack = useStack();

/** Every case answers from here: another provider, so a provider-wide exclusion cannot touch it. */
const FALLBACK = { id: "workers-ai/@cf/openai/gpt-oss-120b", provider: "workers-ai", upstream: "@cf/openai/gpt-oss-120b" };

interface Case {
  name: string;
  fault: SimFault;
  stream: boolean;
  /** the failing first choice; a different model per case, so one case's cooldown cannot skip another's */
  primary: { id: string; provider: string; upstream: string };
  /** HTTP status the simulator logs for the failed attempt (0: no response at all) */
  status: number;
}

function model(id: string): { id: string; provider: string; upstream: string } {
  const slash = id.indexOf("/");
  return { id, provider: id.slice(0, slash), upstream: id.slice(slash + 1) };
}

const CASES: Case[] = [
  { name: "a 429 with Retry-After", fault: { kind: "rate_limit", retryAfter: 5 }, stream: false, primary: model("groq/openai/gpt-oss-20b"), status: 429 },
  { name: "a 429 without Retry-After", fault: { kind: "rate_limit" }, stream: false, primary: model("groq/openai/gpt-oss-120b"), status: 429 },
  { name: "a 500", fault: { kind: "status", status: 500 }, stream: false, primary: model("sambanova/Meta-Llama-3.3-70B-Instruct"), status: 500 },
  { name: "no response at all (hang)", fault: { kind: "hang" }, stream: false, primary: model("sambanova/gpt-oss-120b"), status: 0 },
  { name: "a connection reset", fault: { kind: "reset" }, stream: false, primary: model("cerebras/zai-glm-4.7"), status: 0 },
  { name: "a 429 on a stream", fault: { kind: "rate_limit", retryAfter: 5 }, stream: true, primary: model("groq/qwen/qwen3.6-27b"), status: 429 },
  { name: "a hang on a stream", fault: { kind: "hang" }, stream: true, primary: model("sambanova/DeepSeek-V3.1"), status: 0 },
  { name: "a stream cut at 0 tokens", fault: { kind: "cut", afterTokens: 0 }, stream: true, primary: model("groq/llama-3.3-70b-versatile"), status: 200 },
  { name: "a stream that ends cleanly at 0 tokens", fault: { kind: "cut", afterTokens: 0, clean: true }, stream: true, primary: model("cerebras/gpt-oss-120b"), status: 200 },
  { name: "a stream silent before its first token", fault: { kind: "slow", firstTokenMs: 5_000 }, stream: true, primary: model("sambanova/MiniMax-M2.5"), status: 200 },
  { name: "a daily-cap 429", fault: { kind: "rate_limit", scope: "day" }, stream: false, primary: model("gemini/gemini-2.5-flash"), status: 429 },
  { name: "a 413 (request larger than the model's TPM)", fault: { kind: "too_large" }, stream: false, primary: model("groq/llama-3.1-8b-instant"), status: 413 },
  { name: "a garbled JSON body", fault: { kind: "malformed", afterTokens: 0 }, stream: false, primary: model("openrouter/meta-llama/llama-3.3-70b-instruct:free"), status: 200 },
  { name: "a JSON body cut in half", fault: { kind: "cut", afterTokens: 0 }, stream: false, primary: model("cerebras/gemma-4-31b"), status: 200 },
];

/** One request through the SDK, streamed or not: the text, the route headers and how it ended. */
async function ask(
  body: Record<string, unknown>,
  stream: boolean,
): Promise<{ text: string; model: string; headers: Headers; error: unknown }> {
  if (!stream) {
    const { data, response } = await stack.client.chat.completions.create(body as unknown as ChatCompletionCreateParamsNonStreaming).withResponse();
    return { text: data.choices[0]?.message.content ?? "", model: data.model, headers: response.headers, error: undefined };
  }
  const { data, response } = await stack.client.chat.completions
    .create({ ...body, stream: true, stream_options: { include_usage: true } } as unknown as ChatCompletionCreateParamsStreaming)
    .withResponse();
  const read = await readStream(data);
  expect(read.error).toBeUndefined();
  expect(read.finishReason).toBe("stop");
  expect(read.usage?.total_tokens).toBeGreaterThan(0);
  return { text: read.text, model: read.chunks[0]?.model ?? "", headers: response.headers, error: read.error };
}

/** One primary fault, then the next entry of the `models` list answers; the SDK never sees the failure. */
function failoverCase(c: Case): void {
  it(`answers from the next model in a models list after ${c.name}${c.stream ? "" : " (non-streaming)"}`, async () => {
    const prompt = uniquePrompt(`failover ${c.name}`);
    const since = logMark(stack.sim);
    const ruleId = stack.sim.addRule({ provider: c.primary.provider, model: c.primary.upstream, times: 1, fault: c.fault });
    try {
      const res = await ask({ model: c.primary.id, models: [c.primary.id, FALLBACK.id], messages: [{ role: "user", content: prompt }] }, c.stream);
      expect(res.error).toBeUndefined();
      expect(res.text).toBe(canonicalAnswer(prompt, 12));
      expect(res.model).toBe(FALLBACK.id);
      expect(res.headers.get("x-freeway-model")).toBe(FALLBACK.id);
      expect(res.headers.get("x-freeway-provider")).toBe(FALLBACK.provider);
      expect(Number(res.headers.get("x-freeway-attempts"))).toBe(2);

      const calls = chatLog(stack.sim, since);
      expect(calls.map((e) => `${e.provider}/${e.model}`)).toEqual([c.primary.id, FALLBACK.id]);
      expect(calls[0]?.fault).toBe(c.fault.kind);
      expect(calls[0]?.status).toBe(c.status);
      expect(calls[1]?.status).toBe(200);
      expect(calls[1]?.fault).toBeUndefined();
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });
}

describe("failover is invisible to the SDK", () => {
  for (const c of CASES) {
    failoverCase(c);
  }

  // No models list: whatever the gateway picks first fails once, and the caller still gets a whole answer.
  const AUTO_CASES: { name: string; model: string; fault: SimFault; stream: boolean }[] = [
    { name: "auto, first pick answers 429 with Retry-After", model: "auto", fault: { kind: "rate_limit", retryAfter: 3 }, stream: false },
    { name: "auto, first pick answers 503", model: "auto", fault: { kind: "status", status: 503 }, stream: false },
    { name: "auto:fast, first pick cuts its stream at 0 tokens", model: "auto:fast", fault: { kind: "cut", afterTokens: 0 }, stream: true },
    { name: "family alias gpt-oss-20b, first pick hangs", model: "gpt-oss-20b", fault: { kind: "hang" }, stream: false },
    { name: "family alias llama-3.3-70b, first pick 429s on a stream", model: "llama-3.3-70b", fault: { kind: "rate_limit" }, stream: true },
  ];
  for (const c of AUTO_CASES) {
    it(`answers when the first model chosen fails: ${c.name}`, async () => {
      const prompt = uniquePrompt(`auto failover ${c.name}`);
      const since = logMark(stack.sim);
      // A rule with no provider or model hits whichever upstream call comes first, and only that one.
      const ruleId = stack.sim.addRule({ times: 1, fault: c.fault });
      try {
        const res = await ask({ model: c.model, messages: [{ role: "user", content: prompt }] }, c.stream);
        expect(res.error).toBeUndefined();
        expect(res.text).toBe(canonicalAnswer(prompt, 12));
        expect(Number(res.headers.get("x-freeway-attempts"))).toBe(2);
        const calls = chatLog(stack.sim, since);
        expect(calls).toHaveLength(2);
        expect(calls[0]?.fault).toBe(c.fault.kind);
        const answered = calls[1];
        expect(answered?.status).toBe(200);
        expect(`${answered?.provider}/${answered?.model}`).toBe(res.model);
        expect(res.headers.get("x-freeway-model")).toBe(res.model);
        expect(res.model).not.toBe(`${calls[0]?.provider}/${calls[0]?.model}`);
      } finally {
        stack.sim.clearRules(ruleId);
      }
    });
  }

  it("does not fail over a content-policy refusal: the caller gets the provider's reason as a 400 at once", async () => {
    const primary = model("gemini/gemini-3.1-flash-lite-preview");
    const since = logMark(stack.sim);
    const ruleId = stack.sim.addRule({ provider: primary.provider, model: primary.upstream, times: 1, fault: { kind: "content_policy" } });
    try {
      let caught: unknown;
      try {
        await stack.client.chat.completions.create({
          model: primary.id,
          models: [primary.id, FALLBACK.id],
          messages: [{ role: "user", content: uniquePrompt("policy") }],
        } as unknown as ChatCompletionCreateParamsNonStreaming);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(APIError);
      const e = caught as APIError;
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(e.status).toBeLessThan(500);
      expect(e.message).toMatch(/\S/);
      expect(chatLog(stack.sim, since).map((c) => `${c.provider}/${c.model}`)).toEqual([primary.id]);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });
});

// Last in the file: a refused key takes its whole provider out for the cooldown (ARCHITECTURE.md failure table),
// which would change what the tests above may choose. Fallbacks on five providers: the cases above may have cooled
// a few (a 429 cools its model, and on Workers AI the whole account's pool), whichever they happened to pick.
describe("a refused key", () => {
  const FALLBACKS = ["workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast", "groq/llama-3.3-70b-versatile", "cerebras/gpt-oss-120b", "gemini/gemma-3-27b-it", "sambanova/gpt-oss-120b"];
  // Models no other test in this file names (an auto case might still pick one; the odds are small).
  const PRIMARY = model("nvidia/qwen/qwen3.5-397b-a17b");

  it("fails over a 401 to the next model in the list", async () => {
    const since = logMark(stack.sim);
    const ruleId = stack.sim.addRule({ provider: PRIMARY.provider, model: PRIMARY.upstream, times: 1, fault: { kind: "status", status: 401 } });
    try {
      const prompt = uniquePrompt("key refused");
      const res = await ask({ model: PRIMARY.id, models: [PRIMARY.id, ...FALLBACKS], messages: [{ role: "user", content: prompt }] }, false);
      expect(res.text).toBe(canonicalAnswer(prompt, 12));
      expect(FALLBACKS).toContain(res.model);
      expect(chatLog(stack.sim, since).map((e) => `${e.provider}/${e.model}`)).toEqual([PRIMARY.id, res.model]);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });

  it("takes the provider's other models out too", async () => {
    const since = logMark(stack.sim);
    const sibling = "nvidia/stepfun-ai/step-3.5-flash";
    const res = await ask({ model: sibling, models: [sibling, ...FALLBACKS], messages: [{ role: "user", content: uniquePrompt("after 401") }] }, false);
    expect(FALLBACKS).toContain(res.model);
    expect(chatLog(stack.sim, since).map((e) => e.provider)).not.toContain("nvidia");
  });
});
