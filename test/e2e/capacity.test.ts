// Cooldowns and the 503: a model that said "retry after 2 s" is left alone for 2 s, and callers get a 503 with
// Retry-After only when no candidate at all can take the request.

import { APIError } from "openai";
import type { APIPromise } from "openai/core/api-promise";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import {
  chatLog,
  listModels,
  logMark,
  sleep,
  uniquePrompt,
  type ListedModel,
  useStack,
} from "./harness.ts";

const stack = useStack();
let models: ListedModel[];

beforeAll(async () => {
  models = await listModels(stack);
});

/** The error a call rejected with; fails the test when it resolved. */
async function rejection(call: Promise<unknown>): Promise<APIError> {
  try {
    await call;
  } catch (e) {
    expect(e).toBeInstanceOf(APIError);
    return e as APIError;
  }
  throw new Error("expected the call to be refused, but it answered");
}

function retryAfterOf(e: APIError): number {
  const raw = e.headers?.get("retry-after");
  expect(raw, "a 503 carries Retry-After").toMatch(/^\d+$/);
  return Number(raw);
}

function ask(model: string, prompt: string, extra: Record<string, unknown> = {}): APIPromise<ChatCompletion> {
  const body = { model, messages: [{ role: "user", content: prompt }], ...extra } as ChatCompletionCreateParamsNonStreaming;
  return stack.client.chat.completions.create(body);
}

describe("cooldowns and 503", () => {
  it("honours Retry-After: after a 429 with Retry-After 2 the model gets no request for 2 s, callers get 503 with Retry-After ≤ 2, then it answers again", async () => {
    const X = { id: "groq/llama-3.1-8b-instant", provider: "groq", upstream: "llama-3.1-8b-instant" };
    const OTHER = "sambanova/Meta-Llama-3.3-70B-Instruct";
    const since = logMark(stack.sim);
    stack.sim.addRule({ provider: X.provider, model: X.upstream, times: 1, fault: { kind: "rate_limit", retryAfter: 2 } });

    // The only candidate throttled: nothing else may serve an exact model id.
    const first = await rejection(ask(X.id, uniquePrompt("cooldown first")));
    expect(first.status).toBe(503);
    // Soft: the rest of the scenario is worth seeing even when this first Retry-After is wrong.
    const firstRetry = retryAfterOf(first);
    expect.soft(firstRetry, "Retry-After of the 503 that follows the 429 itself").toBeGreaterThanOrEqual(1);
    expect.soft(firstRetry, "Retry-After of the 503 that follows the 429 itself").toBeLessThanOrEqual(2);
    const throttled = chatLog(stack.sim, since, X.upstream);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]?.status).toBe(429);
    const at = throttled[0]?.ts ?? Date.now();

    // Inside the window: refused at once, without calling X.
    let refused = 0;
    while (Date.now() < at + 1_600) {
      const mark = logMark(stack.sim);
      const e = await rejection(ask(X.id, uniquePrompt("cooldown window")));
      expect(e.status).toBe(503);
      const ra = retryAfterOf(e);
      expect(ra).toBeGreaterThanOrEqual(1);
      expect(ra).toBeLessThanOrEqual(2);
      expect(e.headers?.get("x-freeway-attempts")).toBe("0");
      expect(chatLog(stack.sim, mark)).toHaveLength(0);
      refused++;
      await sleep(200);
    }
    expect(refused).toBeGreaterThan(2);

    // A caller who allows another model is served by it, and X is still not called.
    const mark = logMark(stack.sim);
    const prompt = uniquePrompt("cooldown with fallback");
    const { data, response } = await ask(X.id, prompt, { models: [X.id, OTHER] }).withResponse();
    expect(data.model).toBe(OTHER);
    expect(data.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
    expect(response.headers.get("x-freeway-attempts")).toBe("1");
    expect(chatLog(stack.sim, mark).map((e) => `${e.provider}/${e.model}`)).toEqual([OTHER]);
    expect(chatLog(stack.sim, since, X.upstream)).toHaveLength(1);

    // After the 2 s: X answers again.
    await sleep(Math.max(0, at + 2_300 - Date.now()));
    const after = uniquePrompt("cooldown over");
    const again = await ask(X.id, after);
    expect(again.model).toBe(X.id);
    expect(again.choices[0]?.message.content).toBe(canonicalAnswer(after, 12));
    const calls = chatLog(stack.sim, since, X.upstream);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.status).toBe(200);
    expect(calls[1]?.ts ?? 0).toBeGreaterThanOrEqual(at + 2_000);
  });

  it("cools a model down after 3 server errors in a row: the next callers are served elsewhere without calling it", async () => {
    const X = { id: "sambanova/DeepSeek-V3.1", provider: "sambanova", upstream: "DeepSeek-V3.1" };
    const OTHER = "workers-ai/@cf/openai/gpt-oss-20b";
    const since = logMark(stack.sim);
    const ruleId = stack.sim.addRule({ provider: X.provider, model: X.upstream, fault: { kind: "status", status: 500 } });
    try {
      for (let i = 0; i < 3; i++) {
        const prompt = uniquePrompt(`failing ${i}`);
        const { data, response } = await ask(X.id, prompt, { models: [X.id, OTHER] }).withResponse();
        expect(data.model).toBe(OTHER);
        expect(data.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
        expect(response.headers.get("x-freeway-attempts")).toBe("2");
      }
      expect(chatLog(stack.sim, since, X.upstream)).toHaveLength(3);
      // Failures are reported off the response path; the cooldown may take a moment to land.
      await sleep(300);
      const mark = logMark(stack.sim);
      for (let i = 0; i < 3; i++) {
        const prompt = uniquePrompt(`after failures ${i}`);
        const { data, response } = await ask(X.id, prompt, { models: [X.id, OTHER] }).withResponse();
        expect(data.model).toBe(OTHER);
        expect(response.headers.get("x-freeway-attempts")).toBe("1");
      }
      expect(chatLog(stack.sim, mark, X.upstream)).toHaveLength(0);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });

  // Last in the file: its 429s cool a whole family (and, on OpenRouter and Workers AI, possibly a pool) for 20 s+.
  it("answers while any host of a family alias has room, and returns 503 with the earliest Retry-After only when every host is throttled", async () => {
    // Hosted by OpenRouter and Workers AI, whose 429s both say when to come back (NVIDIA's carry no Retry-After,
    // so a family with an NVIDIA host would rightly answer with the gateway's own backoff instead).
    const FAMILY = "gemma-4-26b";
    const family = models.find((m) => m.id === FAMILY);
    const hosts = (family?.freeway?.hosts ?? []).map((id) => {
      const m = models.find((x) => x.id === id);
      return { id, provider: m?.owned_by ?? "", upstream: m?.freeway?.upstream ?? "" };
    });
    expect(hosts.length).toBeGreaterThanOrEqual(2);
    const retryAfter = (i: number): number => 20 + 10 * i;
    const rules: string[] = [];
    try {
      // Every host but the last throttled: the family still answers, from the last one.
      hosts.slice(0, -1).forEach((h, i) => {
        rules.push(stack.sim.addRule({ provider: h.provider, model: h.upstream, fault: { kind: "rate_limit", retryAfter: retryAfter(i) } }));
      });
      const prompt = uniquePrompt("family with one host left");
      const { data, response } = await ask(FAMILY, prompt).withResponse();
      const last = hosts[hosts.length - 1];
      expect(data.model).toBe(last?.id);
      expect(data.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
      expect(Number(response.headers.get("x-freeway-attempts"))).toBeGreaterThanOrEqual(1);

      // Now the last one too: nothing can serve, so 503 with the earliest moment one can (20 s).
      rules.push(stack.sim.addRule({ provider: last?.provider ?? "", model: last?.upstream ?? "", fault: { kind: "rate_limit", retryAfter: retryAfter(hosts.length - 1) } }));
      const mark = logMark(stack.sim);
      const e = await rejection(ask(FAMILY, uniquePrompt("family exhausted")));
      expect(e.status).toBe(503);
      const ra = retryAfterOf(e);
      expect.soft(ra, "Retry-After: the earliest moment a host can take a request").toBeGreaterThanOrEqual(15);
      expect.soft(ra, "Retry-After: the earliest moment a host can take a request").toBeLessThanOrEqual(retryAfter(0));
      const calls = chatLog(stack.sim, mark);
      expect(calls.length).toBeGreaterThanOrEqual(1);
      expect(calls.every((c) => c.status === 429)).toBe(true);
      expect(calls.every((c) => hosts.some((h) => h.provider === c.provider && h.upstream === c.model))).toBe(true);
      expect(Number(e.headers?.get("x-freeway-attempts"))).toBe(calls.length);

      // And again at once: still 503, now without touching any host.
      const mark2 = logMark(stack.sim);
      const e2 = await rejection(ask(FAMILY, uniquePrompt("family still exhausted")));
      expect(e2.status).toBe(503);
      const ra2 = retryAfterOf(e2);
      expect(ra2).toBeGreaterThanOrEqual(15);
      expect(ra2).toBeLessThanOrEqual(retryAfter(0));
      expect(chatLog(stack.sim, mark2)).toHaveLength(0);
    } finally {
      for (const id of rules) stack.sim.clearRules(id);
    }
  });
});
