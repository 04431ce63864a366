// The everyday path through the official OpenAI SDK: plain and streamed answers, tool calls, the model list.

import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/answer.ts";
import {
  chatLog,
  listModels,
  logMark,
  readStream,
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

  // Busy enough for credit (worker/credits.ts), so some requests wait for credit another one asked for; every
  // stream must still reach its end with its own answer.
  it("streams waves of 30 concurrent requests to the end, each its own answer, with nothing logged as an error", async () => {
    const before = stack.output().length;
    for (let wave = 0; wave < 4; wave++) {
      const prompts = Array.from({ length: 30 }, (_, i) => uniquePrompt(`concurrent stream ${wave}.${i}`));
      const reads = await Promise.all(
        prompts.map(async (prompt) => readStream(await stack.client.chat.completions.create({ model: "auto", stream: true, messages: [{ role: "user", content: prompt }] }))),
      );
      for (const [i, read] of reads.entries()) {
        expect(read.error).toBeUndefined();
        expect(read.text).toBe(canonicalAnswer(prompts[i] as string, 12));
        expect(read.finishReason).toBe("stop");
      }
    }
    await sleep(500); // wrangler forwards the Worker's logs a moment later
    expect(stack.output().slice(before)).not.toMatch(/Uncaught|Cannot perform I\/O/);
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
    expect(expectProviderModel(first.model).freeway?.capabilities?.tools).toBe(true);
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
    expect(expectProviderModel(second.model).freeway?.capabilities?.tools).toBe(true);
    expect(second.choices[0]?.finish_reason).toBe("stop");
    const answer = second.choices[0]?.message.content ?? "";
    expect(answer).toContain(result);
    expect(answer).toBe(`Tool result: ${result}. ${canonicalAnswer(prompt, 12)}`);
  });

  it("completes a tool-call round trip with streaming, the upstream's argument fragments relayed as one whole call", async () => {
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
    // Tool-call deltas are held until the call is complete, so a failure inside one can still fail over.
    expect(argChunks).toHaveLength(1);

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

  for (const stream of [false, true]) {
    it(`drives the SDK's runTools helper through a tool call to the final answer${stream ? " (streaming)" : ""}`, async () => {
      const prompt = uniquePrompt(`runTools ${stream ? "stream" : "json"}`);
      const calls: { city: string }[] = [];
      const params = {
        model: "auto",
        messages: [{ role: "user" as const, content: prompt }],
        tools: [
          {
            type: "function" as const,
            function: {
              name: "get_weather",
              description: "Current weather in a city",
              parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
              parse: (input: string) => JSON.parse(input) as { city: string },
              function: (args: { city: string }) => {
                calls.push(args);
                return `sunny in ${args.city}`;
              },
            },
          },
        ],
      };
      const runner = stream ? stack.client.chat.completions.runTools({ ...params, stream: true }) : stack.client.chat.completions.runTools(params);
      const final = await runner.finalContent();
      expect(calls).toEqual([{ city: "Paris" }]);
      expect(final).toBe(`Tool result: sunny in Paris. ${canonicalAnswer(prompt, 12)}`);
    });
  }

  it("gives the SDK's stream() helper a final completion assembled from the chunks", async () => {
    const prompt = uniquePrompt("stream helper");
    const runner = stack.client.chat.completions.stream({
      model: "auto:fast",
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: prompt }],
    });
    const deltas: string[] = [];
    runner.on("content", (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 12));
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(deltas.length).toBeGreaterThan(1);
    expectProviderModel(final.model);
  });

  it("routes response_format json_schema to a model that supports it and returns JSON of that schema", async () => {
    const res = await stack.client.chat.completions.create({
      model: "auto",
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "weather",
          strict: true,
          schema: {
            type: "object",
            properties: { city: { type: "string" }, celsius: { type: "integer" }, sunny: { type: "boolean" } },
            required: ["city", "celsius", "sunny"],
            additionalProperties: false,
          },
        },
      },
      messages: [{ role: "user", content: uniquePrompt("weather as json") }],
    });
    expect(expectProviderModel(res.model).freeway?.capabilities?.json_schema).toBe(true);
    expect(JSON.parse(res.choices[0]?.message.content ?? "")).toEqual({ city: "Paris", celsius: 42, sunny: true });
  });

  it("stops the provider's stream when the caller aborts mid-stream", async () => {
    const prompt = `${uniquePrompt("abort stream")} [[tokens=60]]`;
    const ruleId = stack.sim.addRule({
      provider: "cerebras",
      model: "gpt-oss-120b",
      fault: { kind: "slow", firstTokenMs: 0, tokenIntervalMs: 50 },
    });
    const since = logMark(stack.sim);
    try {
      const stream = await stack.client.chat.completions.create({
        model: "cerebras/gpt-oss-120b",
        stream: true,
        messages: [{ role: "user", content: prompt }],
      });
      let pieces = 0;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) pieces++;
        if (pieces === 3) break; // leaving the loop aborts the SDK's request
      }
      // The provider should see its client go away long before the 60 tokens (3 s) are out.
      const deadline = Date.now() + 1_500;
      let entry = chatLog(stack.sim, since, "gpt-oss-120b")[0];
      while (!entry?.aborted && Date.now() < deadline) {
        await sleep(50);
        entry = chatLog(stack.sim, since, "gpt-oss-120b")[0];
      }
      expect(entry?.aborted, "the upstream request was cancelled").toBe(true);
      expect(entry?.tokensSent ?? 60).toBeLessThan(40);
    } finally {
      stack.sim.clearRules(ruleId);
    }
  });

  // A non-streaming caller hanging up is covered in-process (test/integration/failure-classes.test.ts): local workerd and
  // wrangler dev only notice a closed client socket when they write to it, so it cannot be observed here.

  it("honours max_tokens: a shorter answer with finish_reason length", async () => {
    const prompt = `${uniquePrompt("max tokens")} [[tokens=20]]`;
    const res = await stack.client.chat.completions.create({ model: "auto", max_tokens: 5, messages: [{ role: "user", content: prompt }] });
    expect(res.choices[0]?.finish_reason).toBe("length");
    expect(res.choices[0]?.message.content).toBe(canonicalAnswer(prompt, 5));
    expect(res.usage?.completion_tokens).toBe(5);
  });

  it("routes response_format json_object to a model that supports it and returns valid JSON", async () => {
    const prompt = uniquePrompt("json please");
    const res = await stack.client.chat.completions.create({
      model: "auto",
      response_format: { type: "json_object" },
      messages: [{ role: "user", content: `${prompt}` }],
    });
    expect(expectProviderModel(res.model).freeway?.capabilities?.json_object).toBe(true);
    expect(JSON.parse(res.choices[0]?.message.content ?? "")).toEqual({ answer: canonicalAnswer(prompt, 12) });
  });

  it("answers 24 concurrent requests to auto, each with its own whole answer", async () => {
    const prompts = Array.from({ length: 24 }, (_, i) => uniquePrompt(`concurrent ${i}`));
    const answers = await Promise.all(
      prompts.map((prompt, i) =>
        i % 2 === 0
          ? stack.client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: prompt }] }).then((r) => r.choices[0]?.message.content)
          : stack.client.chat.completions
              .create({ model: "auto", stream: true, messages: [{ role: "user", content: prompt }] })
              .then(readStream)
              .then((r) => (r.error ? `error: ${String(r.error)}` : r.text)),
      ),
    );
    expect(answers).toEqual(prompts.map((p) => canonicalAnswer(p, 12)));
  });

  it("counts every answer, streamed or not, against the model's quota in /v1/routing/status", async () => {
    const model = "groq/openai/gpt-oss-20b";
    const readQuota = async (): Promise<{ remaining: Record<string, number> | null; limits: Record<string, number> }> => {
      const res = await fetch(`${stack.url}/v1/routing/status`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { providers: { models: { id: string; remaining: Record<string, number> | null; limits: Record<string, number> }[] }[] };
      const entry = body.providers.flatMap((p) => p.models).find((m) => m.id === model);
      expect(entry, `${model} in routing status`).toBeDefined();
      return entry as { remaining: Record<string, number> | null; limits: Record<string, number> };
    };
    // Groq's daily allowance rolls (it comes back continuously): while the test runs, a little of it returns, at most
    // the limit's share of the time passed (whole requests and tokens, so rounded up). An answer left uncounted
    // would leave more than that.
    const back = (limit: number | undefined, ms: number): number => (limit ? Math.ceil((limit * ms) / 86_400_000) : 0);
    // Earlier tests' `auto` requests may have been served by this model too, and credit this isolate still holds for
    // it goes back within CREDIT_MS: count from the quota once it has stopped moving (but for that refill).
    const settled = (a: Awaited<ReturnType<typeof readQuota>>, b: Awaited<ReturnType<typeof readQuota>>, ms: number): boolean =>
      Math.abs((a.remaining?.["rpd"] ?? 0) - (b.remaining?.["rpd"] ?? 0)) <= back(a.limits["rpd"], ms) &&
      Math.abs((a.remaining?.["tpd"] ?? 0) - (b.remaining?.["tpd"] ?? 0)) <= back(a.limits["tpd"], ms);
    let before = await readQuota();
    for (let i = 0; i < 10; i++) {
      await sleep(1_500);
      const again = await readQuota();
      if (settled(again, before, 1_500)) break;
      before = again;
    }
    const baseAt = Date.now();
    const base = { rpd: before.remaining?.["rpd"] ?? before.limits["rpd"] ?? 0, tpd: before.remaining?.["tpd"] ?? before.limits["tpd"] ?? 0 };
    let tokens = 0;
    for (let i = 0; i < 2; i++) {
      const r = await stack.client.chat.completions.create({ model, messages: [{ role: "user", content: uniquePrompt(`quota ${i}`) }] });
      tokens += r.usage?.total_tokens ?? 0;
      const read = await readStream(
        await stack.client.chat.completions.create({
          model,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: "user", content: uniquePrompt(`quota stream ${i}`) }],
        }),
      );
      expect(read.error).toBeUndefined();
      tokens += read.usage?.total_tokens ?? 0;
    }
    expect(tokens).toBeGreaterThan(0);
    // Reports travel after the responses (waitUntil, batched) and the status page is cached briefly: poll.
    const within = (left: number | undefined, used: number, start: number, limit: number | undefined): boolean =>
      left !== undefined && left >= start - used && left <= start - used + back(limit, Date.now() - baseAt + 2_500);
    const want = (q: Awaited<ReturnType<typeof readQuota>>): boolean =>
      within(q.remaining?.["rpd"], 4, base.rpd, q.limits["rpd"]) && within(q.remaining?.["tpd"], tokens, base.tpd, q.limits["tpd"]);
    const deadline = Date.now() + 5_000;
    let quota = await readQuota();
    while (!want(quota) && Date.now() < deadline) {
      await sleep(200);
      quota = await readQuota();
    }
    expect({ rpd: quota.remaining?.["rpd"], tpd: quota.remaining?.["tpd"], ok: want(quota) }).toMatchObject({ ok: true });
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
