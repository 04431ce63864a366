// The answer's shape: OpenAI fields, the model that really answered, freeway's headers, usage, honest truncation.

import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { contentReads, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

function setup(): { p: string; model: string; g: Gateway } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
  return { p, model: `${p}/m1`, g: gw };
}

interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: string; content: string | null }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe("non-streamed answers", () => {
  it("name the answering model in the body and in x-freeway-* headers, with usage and a request id", async () => {
    const { p, model, g } = setup();
    const res = await g.chat({ model: "auto", messages: user("What is a lantern?") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("x-freeway-provider")).toBe(p);
    expect(res.headers.get("x-freeway-model")).toBe(model);
    expect(res.headers.get("x-freeway-attempts")).toBe("1");
    expect(res.headers.get("x-request-id")).toMatch(/^req_\w+$/);

    const body = (await res.json()) as Completion;
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe(model);
    expect(typeof body.id).toBe("string");
    expect(typeof body.created).toBe("number");
    expect(body.choices).toHaveLength(1);
    expect(body.choices[0]).toMatchObject({ index: 0, message: { role: "assistant", content: canonicalAnswer("What is a lantern?", 12) }, finish_reason: "stop" });
    expect(body.usage.completion_tokens).toBe(12);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("echo the caller's x-request-id", async () => {
    const { g } = setup();
    const res = await g.chat({ model: "auto", messages: user("hi") }, { "x-request-id": "trace-123" });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
  });

  it("pass finish_reason length through when max_tokens cuts the answer", async () => {
    const { g } = setup();
    const prompt = "Count the stars [[tokens=20]]";
    const res = await g.chat({ model: "auto", max_tokens: 5, messages: user(prompt) });
    const body = (await res.json()) as Completion;
    expect(body.choices[0]?.finish_reason).toBe("length");
    expect(body.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 5));
    expect(body.usage.completion_tokens).toBe(5);
  });
});

describe("streamed answers", () => {
  it("carry the answering model in every chunk and the x-freeway-* headers", async () => {
    const { p, model, g } = setup();
    const prompt = "Tell me about copper [[tokens=16]]";
    const s = await streamChat(g, { model: "auto", messages: user(prompt) });
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("content-type")).toContain("text/event-stream");
    expect(s.res.headers.get("x-freeway-provider")).toBe(p);
    expect(s.res.headers.get("x-freeway-model")).toBe(model);
    expect(s.res.headers.get("x-freeway-attempts")).toBe("1");
    expect(s.res.headers.get("x-request-id")).toMatch(/^req_\w+$/);
    expect(s.chunks.every((c) => c.model === model && c.object === "chat.completion.chunk")).toBe(true);
    expect(s.text).toBe(canonicalAnswer(prompt, 16));
    expect(contentReads(s)).toBeGreaterThan(1);
  });

  it("end with a usage chunk when stream_options.include_usage is true", async () => {
    const { g } = setup();
    const prompt = "Tell me about copper [[tokens=16]]";
    const s = await streamChat(g, { model: "auto", stream_options: { include_usage: true }, messages: user(prompt) });
    const withUsage = s.chunks.filter((c) => c.usage !== undefined && c.usage !== null);
    expect(withUsage).toHaveLength(1);
    const last = s.chunks[s.chunks.length - 1] as { choices: unknown[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(last).toBe(withUsage[0]);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBe(16);
    expect(last.usage.total_tokens).toBe(last.usage.prompt_tokens + 16);
    expect(s.done).toBe(true);
  });

  it("carry no usage anywhere when include_usage is not asked for", async () => {
    const { g } = setup();
    const s = await streamChat(g, { model: "auto", messages: user("Tell me about copper [[tokens=16]]") });
    expect(s.chunks.filter((c) => c.usage !== undefined && c.usage !== null)).toEqual([]);
    // Every chunk has a choice: the provider's usage-only chunk was not passed on.
    expect(s.chunks.every((c) => Array.isArray(c.choices) && (c.choices as unknown[]).length > 0)).toBe(true);
    // The gateway still asked the provider for usage (its accounting needs it).
    expect(g.sim.log()[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("pass finish_reason length through when max_tokens cuts a streamed answer", async () => {
    const { g } = setup();
    const prompt = "Count the stars [[tokens=20]]";
    const s = await streamChat(g, { model: "auto", max_tokens: 5, messages: user(prompt) });
    expect(s.text).toBe(canonicalAnswer(prompt, 5));
    expect(s.finishReasons).toEqual(["length"]);
    expect(s.done).toBe(true);
  });
});
