// Dialect adapters, seen from the wire: what each built-in provider receives (the simulator rejects what the real
// API rejects) and what the caller gets back. Built-in actors are shared across this file: each test uses its own
// models and stays well inside their free-tier limits.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, type Gateway } from "../helpers/gateway.ts";
import { contentReads, modelStatus, routingStatus, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

type Body = Record<string, unknown> & { messages: Array<Record<string, unknown>> };

function sentBody(g: Gateway, i = 0): Body {
  return g.sim.log()[i]?.body as Body;
}

async function answer(res: Response): Promise<{ model: string; content: string; finish: string }> {
  expect(res.status).toBe(200);
  const body = (await res.json()) as { model: string; choices: Array<{ message: { content: string }; finish_reason: string }> };
  return { model: body.model, content: body.choices[0]?.message.content ?? "", finish: body.choices[0]?.finish_reason ?? "" };
}

describe("Groq", () => {
  it("drops logprobs, top_logprobs, logit_bias and messages[].name, which Groq rejects", async () => {
    gw = gateway();
    const res = await gw.chat({
      model: "groq/llama-3.3-70b-versatile",
      logprobs: true,
      top_logprobs: 2,
      logit_bias: { "50256": -100 },
      temperature: 0.3,
      messages: [
        { role: "system", content: "Be brief.", name: "policy" },
        { role: "user", content: "Hello there", name: "alice" },
      ],
    });
    const a = await answer(res);
    expect(a.model).toBe("groq/llama-3.3-70b-versatile");
    expect(a.content).toBe(canonicalAnswer("Hello there", 12));
    const body = sentBody(gw);
    expect(body).not.toHaveProperty("logprobs");
    expect(body).not.toHaveProperty("top_logprobs");
    expect(body).not.toHaveProperty("logit_bias");
    expect(body.temperature).toBe(0.3);
    expect(body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hello there" },
    ]);
    expect(gw.sim.log()).toHaveLength(1);
  });

  it("strips Groq's x_groq extension from answers", async () => {
    gw = gateway();
    const res = await gw.chat({ model: "groq/llama-3.1-8b-instant", messages: user("hi") });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("x_groq");
    const s = await streamChat(gw, { model: "groq/llama-3.1-8b-instant", messages: user("hi again") });
    expect(s.chunks.some((c) => "x_groq" in c)).toBe(false);
    expect(s.text).toBe(canonicalAnswer("hi again", 12));
  });
});

describe("Cerebras", () => {
  it("strips penalties and parallel_tool_calls and sends max_completion_tokens even when the caller set none", async () => {
    gw = gateway();
    const res = await gw.chat({
      model: "cerebras/gpt-oss-120b",
      frequency_penalty: 0.5,
      presence_penalty: 0.2,
      parallel_tool_calls: true,
      messages: user("Hello Cerebras"),
    });
    const a = await answer(res);
    expect(a.content).toBe(canonicalAnswer("Hello Cerebras", 12));
    const body = sentBody(gw);
    for (const k of ["frequency_penalty", "presence_penalty", "parallel_tool_calls", "max_tokens"]) expect(body).not.toHaveProperty(k);
    // Cerebras reserves max_completion_tokens (16,384 by default) against TPM: freeway always bounds it.
    expect(typeof body.max_completion_tokens).toBe("number");
    expect(body.max_completion_tokens as number).toBeLessThanOrEqual(4096);
  });

  it("sends the caller's max_tokens as max_completion_tokens", async () => {
    gw = gateway();
    const prompt = "Count slowly [[tokens=30]]";
    const a = await answer(await gw.chat({ model: "cerebras/zai-glm-4.7", max_tokens: 10, messages: user(prompt) }));
    expect(a.content).toBe(canonicalAnswer(prompt, 10));
    expect(a.finish).toBe("length");
    const body = sentBody(gw);
    expect(body.max_completion_tokens).toBe(10);
    expect(body).not.toHaveProperty("max_tokens");
  });

  it("reserves no more than Cerebras does (16,384) for a large max_tokens, so it fits a 30,000 TPM", async () => {
    gw = gateway();
    const res = await gw.chat({ model: "cerebras/gpt-oss-120b", max_tokens: 32_000, messages: user("Hello large") });
    expect(res.status).toBe(200);
    expect(sentBody(gw).max_completion_tokens).toBe(32_000);
  });

  it("sends a developer message as a system message: Cerebras has no developer role", async () => {
    gw = gateway();
    const res = await gw.chat({ model: "cerebras/gemma-4-31b", messages: [{ role: "developer", content: "Be brief." }, { role: "user", content: "Hello developer" }] });
    expect((await answer(res)).content).toBe(canonicalAnswer("Hello developer", 12));
    expect(sentBody(gw).messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hello developer" },
    ]);
  });
});

describe("Workers AI", () => {
  it("always sends max_tokens, so a long answer is not cut at the silent 256-token default", async () => {
    gw = gateway();
    const prompt = "Write at length [[tokens=300]]";
    const a = await answer(await gw.chat({ model: "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast", messages: user(prompt) }));
    expect(a.content).toBe(canonicalAnswer(prompt, 300));
    expect(a.finish).toBe("stop");
    expect(typeof sentBody(gw).max_tokens).toBe("number");
    expect(sentBody(gw).max_tokens as number).toBeGreaterThanOrEqual(300);
  });

  it("sends the caller's max_completion_tokens as max_tokens, the field Workers AI reads", async () => {
    gw = gateway();
    const prompt = "Write at length, bounded [[tokens=300]]";
    const a = await answer(await gw.chat({ model: "workers-ai/@cf/openai/gpt-oss-20b", max_completion_tokens: 400, messages: user(prompt) }));
    expect(a.content).toBe(canonicalAnswer(prompt, 300));
    expect(a.finish).toBe("stop");
    expect(sentBody(gw).max_tokens).toBe(400);
    expect(sentBody(gw)).not.toHaveProperty("max_completion_tokens");
  });

  it("streams a long answer in full too", async () => {
    gw = gateway();
    const prompt = "Write at length, streaming [[tokens=300]]";
    const s = await streamChat(gw, { model: "workers-ai/@cf/meta/llama-3.1-8b-instruct-fp8", messages: user(prompt) });
    expect(s.text).toBe(canonicalAnswer(prompt, 300));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(typeof sentBody(gw).max_tokens).toBe("number");
  });
});

describe("Gemini", () => {
  it("folds the system message into the first user turn for Gemma, which rejects system instructions", async () => {
    gw = gateway();
    const res = await gw.chat({
      model: "gemini/gemma-3-27b-it",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Name a colour." },
      ],
    });
    const a = await answer(res);
    const body = sentBody(gw);
    expect(body.messages).toEqual([{ role: "user", content: "You are terse.\n\nName a colour." }]);
    expect(a.content).toBe(canonicalAnswer("You are terse.\n\nName a colour.", 12));
  });

  it("keeps the system message for Gemini models and drops fields the compat layer does not accept", async () => {
    gw = gateway();
    const res = await gw.chat({
      model: "gemini/gemini-3.1-flash-lite-preview",
      user: "caller-42",
      metadata: { team: "x" },
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Name a colour." },
      ],
    });
    expect((await answer(res)).content).toBe(canonicalAnswer("Name a colour.", 12));
    const body = sentBody(gw);
    expect(body.messages[0]).toEqual({ role: "system", content: "You are terse." });
    expect(body).not.toHaveProperty("user");
    expect(body).not.toHaveProperty("metadata");
  });

  it("counts only the prompt against Gemma's TPM, as Gemini does: a 7,500-token prompt with max_tokens 8,192 fits 15,000", async () => {
    gw = gateway();
    const words = "word ".repeat(6_000);
    const res = await gw.chat({ model: "gemini/gemma-3-12b-it", max_tokens: 8_192, messages: user(words) });
    expect(res.status).toBe(200);
    expect(gw.sim.log()).toHaveLength(1);
    // Nothing was held for the answer: about the prompt's worth is gone (8,192 more would leave nothing).
    const st = modelStatus(await routingStatus(gw), "gemini/gemma-3-12b-it");
    const prompt = ((await res.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
    expect(st.remaining?.tpm).toBeGreaterThan(15_000 - prompt - 100);
  });

  it("does not count the prompt tokens Groq served from its cache against its TPM, which Groq does not either", async () => {
    gw = gateway();
    const model = "groq/openai/gpt-oss-20b"; // 8,000 TPM; no other test here spends it
    const res = await gw.chat({ model, messages: user(`[[cached=2500]] ${"word ".repeat(3_000)}`) });
    expect(res.status).toBe(200);
    // The caller sees the provider's whole count, the cached part included.
    const usage = ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } } }).usage;
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(2_500);
    const st = modelStatus(await routingStatus(gw), model);
    expect(st.remaining?.tpm).toBe(8_000 - (usage.prompt_tokens - 2_500) - usage.completion_tokens);
  });

  it("passes Gemini's own options in extra_body through (thinking_config)", async () => {
    gw = gateway();
    const extra = { google: { thinking_config: { thinking_budget: 0 } } };
    const res = await gw.chat({ model: "gemini/gemini-2.5-flash", extra_body: extra, messages: user("Think briefly") });
    expect((await answer(res)).content).toBe(canonicalAnswer("Think briefly", 12));
    expect(sentBody(gw).extra_body).toEqual(extra);
  });
});

describe("NVIDIA and SambaNova", () => {
  it.each(["nvidia/meta/llama-3.3-70b-instruct", "sambanova/Meta-Llama-3.3-70B-Instruct"])("sends the caller's max_completion_tokens to %s as max_tokens", async (model) => {
    gw = gateway();
    const prompt = "Count a little [[tokens=30]]";
    const a = await answer(await gw.chat({ model, max_completion_tokens: 10, messages: user(prompt) }));
    expect(a.content).toBe(canonicalAnswer(prompt, 10));
    expect(sentBody(gw).max_tokens).toBe(10);
    expect(sentBody(gw)).not.toHaveProperty("max_completion_tokens");
  });
});

describe("OpenRouter", () => {
  it("hides the keep-alive comments and passes the answer through chunk by chunk", async () => {
    gw = gateway();
    const prompt = "Tell me about falcons [[tokens=20]]";
    const s = await streamChat(gw, { model: "openrouter/meta-llama/llama-3.2-3b-instruct:free", messages: user(prompt) });
    expect(s.res.status).toBe(200);
    expect(s.raw).not.toContain("OPENROUTER PROCESSING");
    expect(s.raw.split("\n").some((line) => line.startsWith(":"))).toBe(false);
    expect(s.text).toBe(canonicalAnswer(prompt, 20));
    expect(contentReads(s)).toBeGreaterThan(1);
    // OpenRouter always sends usage; the caller did not ask for it.
    expect(s.chunks.some((c) => c.usage !== undefined && c.usage !== null)).toBe(false);
    expect(s.done).toBe(true);
  });
});

describe("built-in routing", () => {
  it("answers a family alias from one of the providers hosting it", async () => {
    gw = gateway();
    const models = (await (await gw.fetch("/v1/models")).json()) as { data: Array<{ id: string; freeway: { hosts?: string[] } }> };
    const hosts = models.data.find((m) => m.id === "gpt-oss-20b")?.freeway.hosts ?? [];
    expect(hosts.length).toBeGreaterThan(1);
    for (let i = 0; i < 4; i++) {
      const a = await answer(await gw.chat({ model: "gpt-oss-20b", messages: user(`family ${i}`) }));
      expect(hosts).toContain(a.model);
    }
  });

  it("keeps auto:vision on vision-capable built-in models", async () => {
    gw = gateway();
    const models = (await (await gw.fetch("/v1/models")).json()) as {
      data: Array<{ id: string; freeway: { kind: string; capabilities?: { vision: boolean } } }>;
    };
    const vision = new Set(models.data.filter((m) => m.freeway.kind === "chat" && m.freeway.capabilities?.vision).map((m) => m.id));
    for (let i = 0; i < 4; i++) {
      const a = await answer(await gw.chat({ model: "auto:vision", messages: user(`vision ${i}`) }));
      expect(vision.has(a.model)).toBe(true);
    }
  });
});
