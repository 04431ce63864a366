// The provider simulator, exercised directly through sim.fetch: answers, dialects, limits, faults, control API.
import { describe, expect, it } from "vitest";
import { Simulator, canonicalAnswer, estimatePromptTokens, installSimulator, simulatorEnv } from "./simulator/index.ts";

type Json = Record<string, unknown>;

const ROOT: Record<string, string> = {
  groq: "/groq/openai/v1",
  gemini: "/gemini/v1beta/openai",
  cerebras: "/cerebras/v1",
  sambanova: "/sambanova/v1",
  nvidia: "/nvidia/v1",
  openrouter: "/openrouter/api/v1",
  voyage: "/voyage/v1",
  "workers-ai": "/workers-ai/client/v4/accounts/sim-account/ai/v1",
  openai: "/openai/v1",
};

function req(path: string, body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal; auth?: string | null } = {}): Request {
  const headers: Record<string, string> = { "content-type": "application/json", ...init.headers };
  if (init.auth !== null) headers["authorization"] = `Bearer ${init.auth ?? "sim-key"}`;
  return new Request(`http://sim.test${path}`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

function chat(sim: Simulator, provider: string, body: Json, init: Parameters<typeof req>[2] = {}): Promise<Response> {
  return sim.fetch(req(`${ROOT[provider]}/chat/completions`, body, init));
}

function embed(sim: Simulator, provider: string, body: Json): Promise<Response> {
  return sim.fetch(req(`${ROOT[provider]}/embeddings`, body));
}

const user = (content: string): Json[] => [{ role: "user", content }];

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** Reads a body one read() at a time; each read is one chunk as the client sees it. */
async function readChunks(res: Response): Promise<{ chunks: string[]; error?: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { chunks };
      chunks.push(decoder.decode(value));
    }
  } catch (error) {
    return { chunks, error };
  }
}

interface Sse {
  comments: string[];
  data: Json[];
  raw: string[];
  done: boolean;
  chunks: string[];
  error?: unknown;
}

async function readSse(res: Response): Promise<Sse> {
  const { chunks, error } = await readChunks(res);
  const out: Sse = { comments: [], data: [], raw: [], done: false, chunks, error };
  for (const event of chunks.join("").split("\n\n")) {
    if (event === "") continue;
    if (event.startsWith(":")) out.comments.push(event);
    else if (event === "data: [DONE]") out.done = true;
    else {
      const payload = event.slice("data: ".length);
      out.raw.push(payload);
      try {
        out.data.push(JSON.parse(payload) as Json);
      } catch {
        // malformed frames stay in raw only
      }
    }
  }
  return out;
}

const choice0 = (c: Json): Json => ((c["choices"] as Json[])[0] ?? {}) as Json;
const delta = (c: Json): Json => (choice0(c)["delta"] ?? {}) as Json;
const contentOf = (s: Sse): string => s.data.map((c) => (delta(c)["content"] as string | undefined) ?? "").join("");
const contentChunks = (s: Sse): Json[] => s.data.filter((c) => typeof delta(c)["content"] === "string" && delta(c)["content"] !== "");

describe("canonical answers", () => {
  it("depend only on the last user message and honour [[tokens=N]]", async () => {
    const a = canonicalAnswer("What is the capital of France?", 12);
    expect(a).toBe(canonicalAnswer("What is the capital of France?", 12));
    expect(a.split(" ")).toHaveLength(12);
    expect(a[0]).toBe(a[0]!.toUpperCase());
    expect(a).not.toMatch(/\s{2}/);
    expect(canonicalAnswer("Another question", 12)).not.toBe(a);
    // A shorter answer is a prefix of a longer one, so a cut stream is comparable.
    expect(canonicalAnswer("q [[tokens=60]]", 60).startsWith(canonicalAnswer("q [[tokens=40]]", 40))).toBe(true);

    const sim = new Simulator();
    const messages = [{ role: "system", content: "be brief" }, ...user("Tell me [[tokens=5]]")];
    const groq = await json(await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages }));
    const openai = await json(await chat(sim, "openai", { model: "whatever-model", messages }));
    const content = (choice0(groq)["message"] as Json)["content"];
    expect(content).toBe(canonicalAnswer("Tell me [[tokens=5]]", 5));
    expect((choice0(openai)["message"] as Json)["content"]).toBe(content);
    expect(groq["usage"]).toMatchObject({ prompt_tokens: estimatePromptTokens(messages), completion_tokens: 5 });
    expect(estimatePromptTokens([{ role: "user", content: "12345" }])).toBe(2);
  });

  it("truncates at max_tokens with finish_reason length, and Workers AI stops at 256 by default", async () => {
    const sim = new Simulator();
    const short = await json(await chat(sim, "groq", { model: "llama-3.1-8b-instant", max_tokens: 4, messages: user("hi [[tokens=10]]") }));
    expect(choice0(short)["finish_reason"]).toBe("length");
    expect((choice0(short)["message"] as Json)["content"]).toBe(canonicalAnswer("hi", 4));
    const wai = await json(await chat(sim, "workers-ai", { model: "@cf/meta/llama-3.1-8b-instruct-fp8", messages: user("long [[tokens=300]]") }));
    expect(choice0(wai)["finish_reason"]).toBe("length");
    expect(wai["usage"]).toMatchObject({ completion_tokens: 256 });
    const full = await json(await chat(sim, "workers-ai", { model: "@cf/meta/llama-3.1-8b-instruct-fp8", max_tokens: 1000, messages: user("long [[tokens=300]]") }));
    expect(choice0(full)["finish_reason"]).toBe("stop");
  });
});

describe("stream framing", () => {
  it("Groq: x_groq id first, x_groq.usage on the final chunk, one token per chunk, usage chunk only with include_usage", async () => {
    const sim = new Simulator();
    const res = await chat(sim, "groq", { model: "llama-3.1-8b-instant", stream: true, messages: user("stream me [[tokens=6]]") });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const s = await readSse(res);
    // role chunk + 6 tokens + final + [DONE], each its own read
    expect(s.chunks).toHaveLength(9);
    expect(delta(s.data[0]!)).toEqual({ role: "assistant", content: "" });
    expect((s.data[0]!["x_groq"] as Json)["id"]).toMatch(/^req_/);
    const tokens = contentChunks(s);
    expect(tokens).toHaveLength(6);
    expect(delta(tokens[1]!)["content"]).toMatch(/^ [a-z]+$/);
    expect(contentOf(s)).toBe(canonicalAnswer("stream me", 6));
    const final = s.data[s.data.length - 1]!;
    expect(choice0(final)["finish_reason"]).toBe("stop");
    expect((final["x_groq"] as Json)["usage"]).toMatchObject({ completion_tokens: 6 });
    expect(s.data.some((c) => "usage" in c)).toBe(false);
    expect(s.done).toBe(true);

    const withUsage = await readSse(
      await chat(sim, "groq", { model: "llama-3.1-8b-instant", stream: true, stream_options: { include_usage: true }, messages: user("x") }),
    );
    const last = withUsage.data[withUsage.data.length - 1]!;
    expect(last["choices"]).toEqual([]);
    expect(last["usage"]).toMatchObject({ completion_tokens: 12 });
  });

  it("OpenRouter: processing comments before the first chunk and usage always in the last chunk", async () => {
    const sim = new Simulator();
    const s = await readSse(await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", stream: true, messages: user("hey") }));
    expect(s.chunks[0]).toBe(": OPENROUTER PROCESSING\n\n");
    expect(s.comments.length).toBeGreaterThan(0);
    const last = s.data[s.data.length - 1]!;
    expect(last["choices"]).toEqual([]);
    expect(last["usage"]).toMatchObject({ completion_tokens: 12, cost: 0 });
    expect(String(s.data[0]!["id"])).toMatch(/^gen-/);
    expect(s.done).toBe(true);
  });

  it("Cerebras adds time_info to the usage chunk; Gemini sends usage only with include_usage", async () => {
    const sim = new Simulator();
    const c = await readSse(
      await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 100, stream: true, stream_options: { include_usage: true }, messages: user("a") }),
    );
    const last = c.data[c.data.length - 1]!;
    expect(last["usage"]).toBeDefined();
    expect(last["time_info"]).toBeDefined();
    const g = await readSse(await chat(sim, "gemini", { model: "gemini-2.5-flash", stream: true, messages: user("a") }));
    expect(g.data.some((x) => "usage" in x)).toBe(false);
    const g2 = await readSse(await chat(sim, "gemini", { model: "gemini-2.5-flash", stream: true, stream_options: { include_usage: true }, messages: user("a") }));
    expect(g2.data[g2.data.length - 1]!["usage"]).toMatchObject({ completion_tokens: 12 });
  });
});

describe("tools and structured output", () => {
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        parameters: {
          type: "object",
          properties: {
            city: { type: "string" },
            unit: { type: "string", enum: ["celsius", "fahrenheit"] },
            days: { type: "integer" },
            detailed: { type: "boolean" },
            tags: { type: "array", items: { type: "string" } },
            where: { type: "object", properties: { lat: { type: "number" } }, required: ["lat"] },
            optional: { type: "string" },
          },
          required: ["city", "unit", "days", "detailed", "tags", "where"],
        },
      },
    },
    { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
  ];
  const expectedArgs = { city: "Paris", unit: "celsius", days: 42, detailed: true, tags: [], where: { lat: 42 } };

  it("calls the first tool (or the one named by tool_choice) and round-trips the tool result", async () => {
    const sim = new Simulator();
    const first = await json(await chat(sim, "groq", { model: "llama-3.3-70b-versatile", tools, messages: user("Weather in Paris?") }));
    expect(choice0(first)["finish_reason"]).toBe("tool_calls");
    const message = choice0(first)["message"] as Json;
    expect(message["content"]).toBeNull();
    const call = (message["tool_calls"] as Json[])[0]!;
    expect(call["id"]).toMatch(/^call_/);
    expect(call["type"]).toBe("function");
    const fn = call["function"] as Json;
    expect(fn["name"]).toBe("get_weather");
    expect(JSON.parse(fn["arguments"] as string)).toEqual(expectedArgs);

    const named = await json(
      await chat(sim, "groq", { model: "llama-3.3-70b-versatile", tools, tool_choice: { type: "function", function: { name: "get_time" } }, messages: user("Time?") }),
    );
    expect(((choice0(named)["message"] as Json)["tool_calls"] as Json[])[0]).toMatchObject({ function: { name: "get_time", arguments: "{}" } });
    const none = await json(await chat(sim, "groq", { model: "llama-3.3-70b-versatile", tools, tool_choice: "none", messages: user("Weather?") }));
    expect(choice0(none)["finish_reason"]).toBe("stop");

    const followUp = [
      ...user("Weather in Paris?"),
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: call["id"], content: "18C and sunny" },
    ];
    const second = await json(await chat(sim, "groq", { model: "llama-3.3-70b-versatile", tools, messages: followUp }));
    const text = (choice0(second)["message"] as Json)["content"] as string;
    expect(text.startsWith("Tool result: 18C and sunny. ")).toBe(true);
    expect(text.endsWith(canonicalAnswer("Weather in Paris?", 12))).toBe(true);

    const orphan = [...user("x"), { role: "tool", tool_call_id: "call_nope", content: "?" }];
    const bad = await chat(sim, "openai", { model: "m", messages: orphan });
    expect(bad.status).toBe(400);
    expect(((await json(bad))["error"] as Json)["message"]).toContain("must be a response to a preceeding message with 'tool_calls'");
  });

  it("streams tool calls as deltas: id and name first, then the arguments in fragments", async () => {
    const sim = new Simulator();
    const s = await readSse(await chat(sim, "openai", { model: "m", stream: true, tools, messages: user("Weather?") }));
    const calls = s.data.filter((c) => Array.isArray(delta(c)["tool_calls"])).map((c) => (delta(c)["tool_calls"] as Json[])[0]!);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather", arguments: "" } });
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(4);
    const args = calls.map((c) => (c["function"] as Json)["arguments"]).join("");
    expect(JSON.parse(args)).toEqual(expectedArgs);
    expect(choice0(s.data[s.data.length - 1]!)["finish_reason"]).toBe("tool_calls");
  });

  it("answers json_object and json_schema formats", async () => {
    const sim = new Simulator();
    const obj = await json(await chat(sim, "openai", { model: "m", response_format: { type: "json_object" }, messages: user("json please") }));
    expect(JSON.parse((choice0(obj)["message"] as Json)["content"] as string)).toEqual({ answer: canonicalAnswer("json please", 12) });
    const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" }, kind: { enum: ["a", "b"] } }, required: ["name", "age", "kind"] };
    const s = await readSse(
      await chat(sim, "openai", { model: "m", stream: true, response_format: { type: "json_schema", json_schema: { name: "x", schema } }, messages: user("q") }),
    );
    expect(JSON.parse(contentOf(s))).toEqual({ name: "Paris", age: 42, kind: "a" });
  });
});

describe("rate limits", () => {
  it("Groq: the 4th request over rpm 3 gets Groq's 429 with retry-after and x-ratelimit headers", async () => {
    const sim = new Simulator();
    sim.setLimits("groq/llama-3.1-8b-instant", { rpm: 3, rpd: 1000, tpm: 6000 });
    for (let i = 0; i < 3; i++) {
      const ok = await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: user("hi") });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-limit-requests")).toBe("1000");
      expect(ok.headers.get("x-ratelimit-remaining-requests")).toBe(String(999 - i));
      expect(ok.headers.get("x-ratelimit-limit-tokens")).toBe("6000");
      expect(ok.headers.get("x-ratelimit-reset-tokens")).toMatch(/^(\d+m)?[\d.]+s$/);
      await ok.text();
    }
    const limited = await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: user("hi") });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("x-ratelimit-remaining-requests")).toBe("997");
    const error = (await json(limited))["error"] as Json;
    expect(error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect(error["message"]).toContain("on requests per minute (RPM): Limit 3, Used 3, Requested 1. Please try again in");
    expect(sim.log().at(-1)).toMatchObject({ status: 429, limited: true });
  });

  it("Groq's day rolls: a spent daily allowance has one request back after a day's share, and its reset header says so", async () => {
    let now = Date.UTC(2026, 10, 27, 23, 0, 0);
    const groq = new Simulator({ now: () => now });
    const samba = new Simulator({ now: () => now });
    groq.setLimits("groq/llama-3.1-8b-instant", { rpd: 4 });
    samba.setLimits("sambanova/DeepSeek-V3.1", { rpd: 4 });
    const ask = (sim: Simulator, provider: string, model: string) => chat(sim, provider, { model, messages: user("hi") });
    for (let i = 0; i < 4; i++) {
      expect((await ask(groq, "groq", "llama-3.1-8b-instant")).status).toBe(200);
      expect((await ask(samba, "sambanova", "DeepSeek-V3.1")).status).toBe(200);
    }
    const spent = await ask(groq, "groq", "llama-3.1-8b-instant");
    expect(spent.status).toBe(429);
    // 4 a day: one comes back every 6 hours, and Groq says "try again in 6h0m0s", not "at midnight".
    expect(((await json(spent))["error"] as Json)["message"]).toContain("on requests per day (RPD): Limit 4, Used 4, Requested 1. Please try again in 6h0m0s");
    now += 3_600_000; // past UTC midnight: the calendar day is whole again, the rolling one has a sixth of a request back
    expect((await ask(samba, "sambanova", "DeepSeek-V3.1")).status).toBe(200);
    expect((await ask(groq, "groq", "llama-3.1-8b-instant")).status).toBe(429);
    now += 5 * 3_600_000;
    const back = await ask(groq, "groq", "llama-3.1-8b-instant");
    expect(back.status).toBe(200);
    expect(back.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    // Whole again once all four have drained: a day from now.
    expect(back.headers.get("x-ratelimit-reset-requests")).toBe("24h0m0s");
  });

  it("Groq: a prompt bigger than TPM gets 413 'Request too large'", async () => {
    const sim = new Simulator();
    const res = await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: user("x".repeat(30_000)) });
    expect(res.status).toBe(413);
    expect(((await json(res))["error"] as Json)["message"]).toContain("Request too large for model `llama-3.1-8b-instant`");
  });

  it("Cerebras: catalog rpm 5, flat body; its max_completion_tokens reservation counts against TPM", async () => {
    const sim = new Simulator();
    for (let i = 0; i < 5; i++) {
      const ok = await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 64, messages: user("hi") });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-ratelimit-limit-tokens-minute")).toBe("30000");
      expect(ok.headers.get("x-ratelimit-reset-tokens-minute")).toMatch(/^\d+\.\d\d$/);
      await ok.text();
    }
    const limited = await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 64, messages: user("hi") });
    expect(limited.status).toBe(429);
    expect(await json(limited)).toEqual({
      message: "Requests per minute limit exceeded - too many requests sent.",
      type: "too_many_requests_error",
      param: "quota",
      code: "request_quota_exceeded",
    });

    const fresh = new Simulator();
    expect((await chat(fresh, "cerebras", { model: "zai-glm-4.7", messages: user("a") })).status).toBe(200);
    const second = await chat(fresh, "cerebras", { model: "zai-glm-4.7", messages: user("a") });
    expect(second.status).toBe(429);
    expect(await json(second)).toMatchObject({ code: "token_quota_exceeded" });
  });

  it("Gemini daily: PerDay quotaId, retryDelay in the body, no retry-after header", async () => {
    const sim = new Simulator();
    sim.setLimits("gemini/gemini-2.5-flash", { rpd: 1 });
    await (await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: user("a") })).text();
    const res = await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: user("a") });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeNull();
    const body = (await res.json()) as Json[];
    const error = body[0]!["error"] as Json;
    expect(error["status"]).toBe("RESOURCE_EXHAUSTED");
    const details = error["details"] as Json[];
    expect(JSON.stringify(details)).toContain("GenerateRequestsPerDayPerProjectPerModel-FreeTier");
    expect(details.find((d) => d["@type"] === "type.googleapis.com/google.rpc.RetryInfo")?.["retryDelay"]).toMatch(/^\d+s$/);
  });

  it("OpenRouter: the free pool is shared across models; 429 carries X-RateLimit-* headers", async () => {
    const sim = new Simulator();
    sim.setLimits("openrouter:free", { rpm: 2 });
    expect((await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", messages: user("a") })).status).toBe(200);
    const ok = await chat(sim, "openrouter", { model: "qwen/qwen3-coder:free", messages: user("a") });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBeNull();
    const res = await chat(sim, "openrouter", { model: "google/gemma-4-31b-it:free", messages: user("a") });
    expect(res.status).toBe(429);
    expect(res.headers.get("X-RateLimit-Limit")).toBe("2");
    expect(res.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(Number(res.headers.get("X-RateLimit-Reset"))).toBeGreaterThan(Date.now() - 1000);
    expect(await json(res)).toEqual({ error: { code: 429, message: "Rate limit exceeded: free-models-per-min.", metadata: { error_type: "rate_limit_exceeded" } } });
  });

  it("limits 'off' lifts catalog limits and their headers; setLimits still applies", async () => {
    const sim = new Simulator({ config: { limits: "off" } });
    for (let i = 0; i < 7; i++) {
      const r = await chat(sim, "cerebras", { model: "gpt-oss-120b", messages: user("a") });
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit-tokens-minute")).toBeNull();
    }
    sim.setLimits("openai/bench", { rpm: 1 });
    expect((await chat(sim, "openai", { model: "bench", messages: user("a") })).status).toBe(200);
    expect((await chat(sim, "openai", { model: "bench", messages: user("a") })).status).toBe(429);
  });
});

describe("scripted faults", () => {
  it("rate_limit faults use each dialect's minute and day forms", async () => {
    const sim = new Simulator();
    sim.addRules([
      { provider: "workers-ai", times: 1, fault: { kind: "rate_limit", retryAfter: 1 } },
      { provider: "workers-ai", times: 1, fault: { kind: "rate_limit", scope: "day" } },
      { provider: "cerebras", times: 1, fault: { kind: "rate_limit", scope: "day", retryAfter: 3600 } },
      { provider: "sambanova", times: 1, fault: { kind: "rate_limit", scope: "day" } },
      { provider: "nvidia", times: 1, fault: { kind: "rate_limit" } },
      { provider: "gemini", times: 1, fault: { kind: "rate_limit", retryAfter: 7 } },
    ]);
    const wai = { model: "@cf/openai/gpt-oss-20b", messages: user("a") };
    const minute = await chat(sim, "workers-ai", wai);
    expect(minute.status).toBe(429);
    expect(minute.headers.get("retry-after")).toBe("1");
    expect(await json(minute)).toEqual({
      success: false,
      errors: [{ code: 3021, message: "rate limiting: inference request per min rate reached" }],
      messages: [],
      result: null,
    });
    const day = await chat(sim, "workers-ai", wai);
    expect(day.headers.get("retry-after")).toBeNull();
    expect(((await json(day))["errors"] as Json[])[0]).toMatchObject({ code: 3036 });

    const cb = await chat(sim, "cerebras", { model: "gpt-oss-120b", messages: user("a") });
    expect(cb.status).toBe(429);
    expect(cb.headers.get("retry-after")).toBe("3600");
    expect(cb.headers.get("x-ratelimit-remaining-requests-day")).toBe("0");
    expect((await json(cb))["message"]).toBe("Requests per day limit exceeded - too many requests sent.");

    const sn = await chat(sim, "sambanova", { model: "gpt-oss-120b", messages: user("a") });
    expect(((await json(sn))["error"] as Json)["message"]).toMatch(/^Request would exceed rate limit\nViolated duration_s: 86400, current usage: \d+, limit: \d+$/);

    const nv = await chat(sim, "nvidia", { model: "meta/llama-3.3-70b-instruct", messages: user("a") });
    expect(await json(nv)).toEqual({ status: 429, title: "Too Many Requests" });

    const gm = await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: user("a") });
    expect(gm.headers.get("retry-after")).toBeNull();
    expect(JSON.stringify(await gm.json())).toContain('"retryDelay":"7s"');
  });

  it("status faults use the dialect's error shape", async () => {
    const sim = new Simulator();
    sim.addRules([
      { provider: "openrouter", fault: { kind: "status", status: 402 } },
      { provider: "gemini", fault: { kind: "status", status: 503 } },
      { provider: "nvidia", fault: { kind: "status", status: 500, message: "boom" } },
      { provider: "voyage", fault: { kind: "status", status: 500 } },
    ]);
    const or = await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", messages: user("a") });
    expect(or.status).toBe(402);
    const orBody = (await json(or))["error"] as Json;
    expect(orBody).toMatchObject({ code: 402, metadata: { error_type: "payment_required" } });
    expect(orBody["message"]).toContain("insufficient credits");
    const gm = await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: user("a") });
    expect(await gm.json()).toEqual([{ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } }]);
    const nv = await chat(sim, "nvidia", { model: "meta/llama-3.3-70b-instruct", messages: user("a") });
    expect(await json(nv)).toEqual({ status: 500, title: "Internal Server Error", detail: "boom" });
    const vo = await embed(sim, "voyage", { model: "voyage-3.5", input: "a" });
    expect(await json(vo)).toEqual({ detail: "Internal Server Error" });
  });

  it("times: a rule applies to the next N matching requests, then expires", async () => {
    const sim = new Simulator();
    sim.addRule({ provider: "openai", model: "m", times: 2, fault: { kind: "status", status: 500 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat(sim, "openai", { model: "m", messages: user("a") })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect((await chat(sim, "openai", { model: "other", messages: user("a") })).status).toBe(200);
    expect(sim.listRules()).toHaveLength(0);
  });

  it("cut: N tokens then the body errors; clean: the stream just ends", async () => {
    const sim = new Simulator();
    sim.addRules([
      { model: "m", times: 1, fault: { kind: "cut", afterTokens: 40 } },
      { model: "m", times: 1, fault: { kind: "cut", afterTokens: 3, clean: true } },
      { model: "m", times: 1, fault: { kind: "cut", afterTokens: 3 } },
    ]);
    const cut = await readSse(await chat(sim, "openai", { model: "m", stream: true, messages: user("long [[tokens=60]]") }));
    expect(cut.error).toBeInstanceOf(TypeError);
    expect(String(cut.error)).toContain("Network connection lost.");
    expect(contentOf(cut)).toBe(canonicalAnswer("long", 40));
    expect(cut.done).toBe(false);
    expect(sim.log().at(-1)).toMatchObject({ fault: "cut", tokensSent: 40, aborted: false });

    const clean = await readSse(await chat(sim, "openai", { model: "m", stream: true, messages: user("q") }));
    expect(clean.error).toBeUndefined();
    expect(contentChunks(clean)).toHaveLength(3);
    expect(clean.data.some((c) => choice0(c)["finish_reason"])).toBe(false);
    expect(clean.done).toBe(false);

    const body = await chat(sim, "openai", { model: "m", messages: user("q") });
    expect(body.status).toBe(200);
    const read = await readChunks(body);
    expect(read.error).toBeInstanceOf(TypeError);
    expect(() => JSON.parse(read.chunks.join(""))).toThrow();
  });

  it("stall: tokens arrive chunk by chunk, then silence until the client aborts", async () => {
    const sim = new Simulator();
    sim.addRule({ fault: { kind: "stall", afterTokens: 2 } });
    const ac = new AbortController();
    const res = await chat(sim, "openai", { model: "m", stream: true, messages: user("q") }, { signal: ac.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(decoder.decode((await reader.read()).value));
    expect(seen[0]).toContain('"role":"assistant"');
    expect(seen[2]).toContain('"content":" ');
    const pending = reader.read();
    const outcome = await Promise.race([pending.then(() => "data"), new Promise((r) => setTimeout(() => r("silent"), 30))]);
    expect(outcome).toBe("silent");
    ac.abort();
    await expect(pending).rejects.toBeDefined();
    expect(sim.log().at(-1)).toMatchObject({ fault: "stall", tokensSent: 2, aborted: true });
  });

  it("malformed: one frame is not JSON, then the stream goes on to [DONE]", async () => {
    const sim = new Simulator();
    sim.addRule({ fault: { kind: "malformed", afterTokens: 2 } });
    const s = await readSse(await chat(sim, "openai", { model: "m", stream: true, messages: user("q [[tokens=4]]") }));
    expect(s.raw.length).toBe(s.data.length + 1);
    expect(contentOf(s)).toBe(canonicalAnswer("q", 4));
    expect(s.done).toBe(true);
  });

  it("no_done: finish and usage, but no [DONE]", async () => {
    const sim = new Simulator();
    sim.addRule({ fault: { kind: "no_done" } });
    const s = await readSse(await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", stream: true, messages: user("q") }));
    expect(s.data.some((c) => choice0(c)["finish_reason"] === "stop")).toBe(true);
    expect(s.data[s.data.length - 1]!["usage"]).toBeDefined();
    expect(s.done).toBe(false);
    expect(s.error).toBeUndefined();
  });

  it("error_chunk: a mid-stream error in each dialect's form", async () => {
    const sim = new Simulator();
    sim.addRule({ fault: { kind: "error_chunk", afterTokens: 2 } });
    const or = await readSse(await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", stream: true, messages: user("q") }));
    const orErr = or.data[or.data.length - 1]!;
    expect(orErr["error"]).toMatchObject({ code: 502 });
    expect(choice0(orErr)["finish_reason"]).toBe("error");
    expect(contentChunks(or)).toHaveLength(2);
    expect(or.done).toBe(false);
    const cb = await readSse(await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 50, stream: true, messages: user("q") }));
    expect(cb.data[cb.data.length - 1]).toMatchObject({ status_code: 500, error: { type: "server_error" } });
    const gq = await readSse(await chat(sim, "groq", { model: "llama-3.1-8b-instant", stream: true, messages: user("q") }));
    expect((gq.data[gq.data.length - 1]!["x_groq"] as Json)["error"]).toBeTypeOf("string");
    const oa = await readSse(await chat(sim, "openai", { model: "m", stream: true, messages: user("q") }));
    expect(oa.data[oa.data.length - 1]!["error"]).toMatchObject({ type: "server_error" });
  });

  it("slow: the first token waits, headers do not", async () => {
    const sim = new Simulator();
    sim.addRule({ times: 1, fault: { kind: "slow", firstTokenMs: 60, tokenIntervalMs: 0 } });
    const t0 = Date.now();
    const res = await chat(sim, "openai", { model: "m", stream: true, messages: user("q [[tokens=2]]") });
    expect(Date.now() - t0).toBeLessThan(50);
    const s = await readSse(res);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    expect(contentOf(s)).toBe(canonicalAnswer("q", 2));

    // Not streamed: nothing at all until the answer is ready.
    sim.addRule({ fault: { kind: "slow", firstTokenMs: 40 } });
    const t1 = Date.now();
    const plain = await chat(sim, "openai", { model: "m", messages: user("q") });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(35);
    expect(plain.status).toBe(200);
  });

  it("reset rejects like a lost connection and hang waits for the client's abort (via installSimulator)", async () => {
    const sim = new Simulator();
    sim.addRules([
      { model: "reset-me", fault: { kind: "reset" } },
      { model: "hang-me", fault: { kind: "hang" } },
    ]);
    const original = globalThis.fetch;
    const uninstall = installSimulator(sim, "http://sim.test");
    try {
      const call = (model: string, signal?: AbortSignal): Promise<Response> =>
        fetch("http://sim.test/openai/v1/chat/completions", {
          method: "POST",
          headers: { authorization: "Bearer k", "content-type": "application/json" },
          body: JSON.stringify({ model, messages: user("q") }),
          ...(signal ? { signal } : {}),
        });
      await expect(call("reset-me")).rejects.toThrow(new TypeError("Network connection lost."));
      expect((await call("fine")).status).toBe(200);
      const ac = new AbortController();
      const hung = call("hang-me", ac.signal);
      setTimeout(() => ac.abort(), 20);
      await expect(hung).rejects.toBeDefined();
      expect(sim.log().at(-1)).toMatchObject({ model: "hang-me", fault: "hang", status: 0, aborted: true });
    } finally {
      uninstall();
    }
    expect(globalThis.fetch).toBe(original);
  });

  it("context_length, content_policy and too_large faults", async () => {
    const sim = new Simulator();
    sim.addRules([
      { provider: "openrouter", times: 1, fault: { kind: "content_policy" } },
      { provider: "openrouter", times: 1, fault: { kind: "context_length" } },
      { provider: "groq", fault: { kind: "too_large" } },
      { provider: "openai", fault: { kind: "context_length" } },
    ]);
    const body = { model: "openai/gpt-oss-20b:free", messages: user("q") };
    const cp = await chat(sim, "openrouter", body);
    expect(cp.status).toBe(403);
    expect(((await json(cp))["error"] as Json)["metadata"]).toMatchObject({ error_type: "content_policy_violation" });
    const cl = await chat(sim, "openrouter", body);
    expect(cl.status).toBe(400);
    expect(((await json(cl))["error"] as Json)["metadata"]).toEqual({ error_type: "context_length_exceeded" });
    const tl = await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: user("q") });
    expect(tl.status).toBe(413);
    expect((await json(tl))["error"]).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
    const oa = await chat(sim, "openai", { model: "m", messages: user("q") });
    expect((await json(oa))["error"]).toMatchObject({ code: "context_length_exceeded", type: "invalid_request_error" });
  });
});

describe("assistant prefill", () => {
  const prompt = "Continue this [[tokens=8]]";
  const answer = canonicalAnswer(prompt, 8);
  const words = answer.split(" ");
  const prefilled = (p: unknown): Json[] => [...user(prompt), { role: "assistant", content: p }];
  const groq = (extra: Json): Promise<Response> => chat(new Simulator(), "groq", { model: "llama-3.1-8b-instant", ...extra });

  it("continues the canonical answer on a piece boundary, counting the prefill as prompt", async () => {
    const p = words.slice(0, 3).join(" ");
    const messages = prefilled(p);
    const body = await json(await groq({ messages }));
    expect((choice0(body)["message"] as Json)["content"]).toBe(answer.slice(p.length));
    expect(body["usage"]).toMatchObject({ prompt_tokens: estimatePromptTokens(messages), completion_tokens: 5 });
    expect(estimatePromptTokens(messages)).toBeGreaterThan(estimatePromptTokens(user(prompt)));

    const s = await readSse(await groq({ messages, stream: true }));
    expect(contentChunks(s).map((c) => delta(c)["content"])).toEqual(words.slice(3).map((w) => ` ${w}`));
    expect(s.done).toBe(true);
  });

  it("starts with the rest of a piece when the prefill ends inside it; text parts count as the prefill", async () => {
    const p = `${words.slice(0, 2).join(" ")} ${words[2]!.slice(0, 2)}`;
    const s = await readSse(await groq({ messages: prefilled([{ type: "text", text: p }]), stream: true }));
    const pieces = contentChunks(s).map((c) => delta(c)["content"]);
    expect(pieces[0]).toBe(words[2]!.slice(2));
    expect(pieces).toHaveLength(6);
    expect(p + contentOf(s)).toBe(answer);
  });

  it("limits only the continuation with max_tokens, and answers nothing more after a complete prefill", async () => {
    const body = await json(await groq({ messages: prefilled(words[0]), max_tokens: 2 }));
    expect((choice0(body)["message"] as Json)["content"]).toBe(` ${words[1]} ${words[2]}`);
    expect(choice0(body)["finish_reason"]).toBe("length");
    const whole = await json(await groq({ messages: prefilled(answer) }));
    expect((choice0(whole)["message"] as Json)["content"]).toBe("");
    expect(whole["usage"]).toMatchObject({ completion_tokens: 0 });
  });

  it("goes its own deterministic way after a prefill that is not the start of its answer", async () => {
    const a = await json(await groq({ messages: prefilled("Something else entirely") }));
    const b = await json(await groq({ messages: prefilled("Something else entirely") }));
    const c = await json(await groq({ messages: prefilled("Yet another start") }));
    const text = (x: Json): string => (choice0(x)["message"] as Json)["content"] as string;
    expect(text(a)).toBe(text(b));
    expect(text(a)).not.toBe(text(c));
    expect(text(a).split(" ").slice(1)).toHaveLength(8);
    expect(answer.startsWith(text(a))).toBe(false);
    expect(answer.includes(text(a).trim())).toBe(false);
  });

  it("is refused where the catalog says the provider does not continue prefills; the generic mount does", async () => {
    const sim = new Simulator();
    const messages = prefilled(words[0]);
    for (const [provider, model] of [["cerebras", "gpt-oss-120b"], ["sambanova", "gpt-oss-120b"], ["gemini", "gemini-2.5-flash"]] as const) {
      const r = await chat(sim, provider, { model, messages, max_completion_tokens: 100 });
      expect(r.status).toBe(400);
      expect(JSON.stringify(await r.json())).toContain("assistant prefill is not supported: the last message must be from the user or a tool");
    }
    const sn = await chat(sim, "sambanova", { model: "gpt-oss-120b", messages });
    expect((await json(sn))["error"]).toMatchObject({ type: "invalid_request_error", param: "messages" });
    const or = await json(await chat(sim, "openrouter", { model: "openai/gpt-oss-20b:free", messages }));
    expect((choice0(or)["message"] as Json)["content"]).toBe(answer.slice(words[0]!.length));
    const oa = await json(await chat(sim, "openai", { model: "m", messages }));
    expect((choice0(oa)["message"] as Json)["content"]).toBe(answer.slice(words[0]!.length));
    // A last assistant message that calls a tool is no prefill.
    const call = { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] };
    const withTool = await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 100, messages: [...user(prompt), call, { role: "tool", tool_call_id: "c1", content: "ok" }] });
    expect(withTool.status).toBe(200);
  });
});

describe("validation, auth and parameter hygiene", () => {
  it("rejects what the real APIs reject", async () => {
    const sim = new Simulator();
    const groq = (extra: Json): Promise<Response> => chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: user("q"), ...extra });
    for (const extra of [{ logprobs: true }, { logit_bias: {} }, { top_logprobs: 2 }, { n: 2 }, { messages: [{ role: "user", content: "q", name: "bob" }] }]) {
      const r = await groq(extra);
      expect(r.status).toBe(400);
      expect((await json(r))["error"]).toMatchObject({ type: "invalid_request_error" });
    }
    expect((await groq({ n: 1 })).status).toBe(200);
    for (const key of ["frequency_penalty", "presence_penalty", "logit_bias", "parallel_tool_calls", "service_tier"]) {
      const r = await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 10, messages: user("q"), [key]: key === "service_tier" ? "auto" : 0 });
      expect(r.status).toBe(400);
      expect(await json(r)).toMatchObject({ type: "invalid_request_error", param: key });
    }
    const gemma = await chat(sim, "gemini", { model: "gemma-3-27b-it", messages: [{ role: "system", content: "s" }, ...user("q")] });
    expect(await gemma.json()).toEqual([
      { error: { code: 400, message: "Developer instruction is not enabled for models/gemma-3-27b-it", status: "INVALID_ARGUMENT" } },
    ]);
    expect((await chat(sim, "gemini", { model: "gemma-3-27b-it", messages: user("q") })).status).toBe(200);

    expect((await chat(sim, "openai", { messages: user("q") })).status).toBe(400);
    expect((await chat(sim, "openai", { model: "m", messages: [] })).status).toBe(400);
    const unknown = await chat(sim, "groq", { model: "no-such-model", messages: user("q") });
    expect(unknown.status).toBe(404);
    expect((await json(unknown))["error"]).toMatchObject({ code: "model_not_found" });
    expect((await chat(sim, "workers-ai", { model: "@cf/none", messages: user("q") })).status).toBe(404);
  });

  it("needs a Bearer key, refuses keys starting with 'bad', and Gemini refuses two credentials", async () => {
    const sim = new Simulator();
    const body = { model: "llama-3.1-8b-instant", messages: user("q") };
    const missing = await chat(sim, "groq", body, { auth: null });
    expect(missing.status).toBe(401);
    expect((await json(missing))["error"]).toMatchObject({ code: "invalid_api_key" });
    expect((await chat(sim, "groq", body, { auth: "bad-key" })).status).toBe(401);
    const wai = await chat(sim, "workers-ai", { model: "@cf/openai/gpt-oss-20b", messages: user("q") }, { auth: null });
    expect(await json(wai)).toMatchObject({ success: false, errors: [{ code: 10000 }] });
    const both = await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: user("q") }, { headers: { "x-goog-api-key": "k" } });
    expect(both.status).toBe(400);
    expect(JSON.stringify(await both.json())).toContain("Multiple authentication credentials received. Please pass only one.");
  });

  it("returns each dialect's context-length error when the prompt exceeds the catalog window", async () => {
    const sim = new Simulator({ config: { limits: "off" } });
    const nv = await chat(sim, "nvidia", { model: "meta/llama-3.1-8b-instruct", messages: user("x".repeat(16_000 * 4 + 8)) });
    expect(nv.status).toBe(400);
    expect(await json(nv)).toMatchObject({ status: 400, title: "Bad Request" });
    const wai = await chat(sim, "workers-ai", { model: "@cf/meta/llama-3.3-70b-instruct-fp8-fast", messages: user("x".repeat(24_000 * 4 + 8)) });
    expect(((await json(wai))["errors"] as Json[])[0]).toMatchObject({ code: 5021 });
    const gm = await chat(sim, "gemini", { model: "gemma-3-12b-it", messages: user("x".repeat(32_768 * 4 + 8)) });
    expect(JSON.stringify(await gm.json())).toContain("The input token count (32770) exceeds the maximum number of tokens allowed (32768).");
  });
});

describe("embeddings", () => {
  it("returns deterministic unit vectors in order, with each dialect's usage", async () => {
    const sim = new Simulator();
    const gem = await json(await embed(sim, "gemini", { model: "gemini-embedding-001", input: ["alpha", "beta"] }));
    const data = gem["data"] as Json[];
    expect(data.map((d) => d["index"])).toEqual([0, 1]);
    const v = data[0]!["embedding"] as number[];
    expect(v).toHaveLength(3072);
    expect(Math.hypot(...v)).toBeCloseTo(1, 6);
    expect(gem["usage"]).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    const again = await json(await embed(sim, "gemini", { model: "gemini-embedding-001", input: "alpha" }));
    expect((again["data"] as Json[])[0]!["embedding"]).toEqual(v);

    const cut = await json(await embed(sim, "gemini", { model: "gemini-embedding-001", input: "alpha", dimensions: 768 }));
    const short = (cut["data"] as Json[])[0]!["embedding"] as number[];
    expect(short).toHaveLength(768);
    expect(Math.hypot(...short)).toBeCloseTo(1, 6);
    expect(Math.sign(short[5]!)).toBe(Math.sign(v[5]!));

    const voyage = await json(await embed(sim, "voyage", { model: "voyage-3.5", input: ["a b c d"], output_dimension: 512, input_type: "query" }));
    expect(voyage["usage"]).toEqual({ total_tokens: 2 });
    expect(((voyage["data"] as Json[])[0]!["embedding"] as number[]).length).toBe(512);

    const wai = await json(await embed(sim, "workers-ai", { model: "@cf/baai/bge-base-en-v1.5", input: "x" }));
    expect(wai).toMatchObject({ object: "list", model: "@cf/baai/bge-base-en-v1.5", usage: { prompt_tokens: 1, total_tokens: 1 } });
    expect(((wai["data"] as Json[])[0]!["embedding"] as number[]).length).toBe(768);
  });

  it("encodes base64 as little-endian float32", async () => {
    const sim = new Simulator();
    const f = await json(await embed(sim, "openai", { model: "text-embedding-3-small", input: "hello" }));
    const b = await json(await embed(sim, "openai", { model: "text-embedding-3-small", input: "hello", encoding_format: "base64" }));
    const floats = (f["data"] as Json[])[0]!["embedding"] as number[];
    const bin = atob((b["data"] as Json[])[0]!["embedding"] as string);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    expect(bytes.length).toBe(floats.length * 4);
    expect(view.getFloat32(0, true)).toBeCloseTo(floats[0]!, 6);
    expect(view.getFloat32(4 * 100, true)).toBeCloseTo(floats[100]!, 6);
  });

  it("rejects oversized batches, empty strings, and NVIDIA asymmetric models without input_type", async () => {
    const sim = new Simulator({ config: { limits: "off" } });
    const batch = await embed(sim, "voyage", { model: "voyage-3.5", input: Array.from({ length: 129 }, (_, i) => `t${i}`) });
    expect(batch.status).toBe(400);
    expect((await json(batch))["detail"]).toContain("129");
    const empty = await embed(sim, "openai", { model: "e", input: ["ok", ""] });
    expect(empty.status).toBe(400);
    const nv = await embed(sim, "nvidia", { model: "nvidia/nv-embedqa-e5-v5", input: "q" });
    expect(nv.status).toBe(400);
    expect((await json(nv))["detail"]).toContain("input_type");
    expect((await embed(sim, "nvidia", { model: "nvidia/nv-embedqa-e5-v5", input: "q", input_type: "query" })).status).toBe(200);
  });
});

describe("prefill and divergence faults", () => {
  const prompt = "Tell a story [[tokens=10]]";
  const words = canonicalAnswer(prompt, 10).split(" ");
  const plain = user(prompt);
  const prefilled = [...plain, { role: "assistant", content: words.slice(0, 4).join(" ") }];

  it("reject_prefill answers 400 to prefills only, and other requests do not use up its times", async () => {
    const sim = new Simulator();
    sim.addRule({ provider: "groq", times: 1, fault: { kind: "reject_prefill" } });
    const body = { model: "llama-3.1-8b-instant", messages: plain };
    for (let i = 0; i < 3; i++) expect((await chat(sim, "groq", body)).status).toBe(200);
    expect(sim.log().map((e) => e.fault)).toEqual([undefined, undefined, undefined]);
    const refused = await chat(sim, "groq", { ...body, messages: prefilled, stream: true });
    expect(refused.status).toBe(400);
    expect((await json(refused))["error"]).toMatchObject({ message: "this model does not accept an assistant prefill", type: "invalid_request_error" });
    expect(sim.log().at(-1)).toMatchObject({ fault: "reject_prefill", status: 400 });
    expect(sim.listRules()).toHaveLength(0);
    expect((await chat(sim, "groq", { ...body, messages: prefilled })).status).toBe(200);

    sim.addRule({ fault: { kind: "reject_prefill" } });
    const cb = await chat(sim, "cerebras", { model: "gpt-oss-120b", max_completion_tokens: 100, messages: prefilled });
    expect(await json(cb)).toMatchObject({ message: "this model does not accept an assistant prefill", code: "wrong_api_format" });
    const gm = await chat(sim, "gemini", { model: "gemini-2.5-flash", messages: prefilled });
    expect(await gm.json()).toEqual([{ error: { code: 400, message: "this model does not accept an assistant prefill", status: "INVALID_ARGUMENT" } }]);
  });

  it("diverge: canonical for afterTokens pieces, then different at every piece, streamed or not", async () => {
    const sim = new Simulator();
    sim.addRules([
      { times: 1, fault: { kind: "diverge", afterTokens: 4 } },
      { times: 1, fault: { kind: "diverge", afterTokens: 4 } },
      { times: 1, fault: { kind: "diverge" } },
    ]);
    const s = await readSse(await chat(sim, "openai", { model: "m", stream: true, stream_options: { include_usage: true }, messages: plain }));
    const pieces = contentChunks(s).map((c) => (delta(c)["content"] as string).trim());
    expect(pieces).toHaveLength(10);
    expect(pieces.slice(0, 4)).toEqual(words.slice(0, 4));
    for (let i = 4; i < 10; i++) expect(pieces[i]).not.toBe(words[i]);
    expect(s.data.at(-1)!["usage"]).toMatchObject({ completion_tokens: 10 });
    expect(s.done).toBe(true);
    expect(sim.log().at(-1)).toMatchObject({ fault: "diverge", tokensSent: 10 });

    const again = await json(await chat(sim, "openai", { model: "m", messages: plain }));
    expect((choice0(again)["message"] as Json)["content"]).toBe(contentOf(s));
    const fromStart = await json(await chat(sim, "openai", { model: "m", messages: plain }));
    const text = (choice0(fromStart)["message"] as Json)["content"] as string;
    expect(text.split(" ")[0]).not.toBe(words[0]);
    expect(text.split(" ")[0]).toMatch(/^[A-Z]/);
  });

  it("diverge applies to a prefill's continuation, and the control API checks fault numbers", async () => {
    const sim = new Simulator();
    sim.addRule({ fault: { kind: "diverge", afterTokens: 1 } });
    const body = await json(await chat(sim, "groq", { model: "llama-3.1-8b-instant", messages: prefilled }));
    const cont = ((choice0(body)["message"] as Json)["content"] as string).split(" ").slice(1);
    expect(cont).toHaveLength(6);
    expect(cont[0]).toBe(words[4]);
    expect(cont[1]).not.toBe(words[5]);

    const post = (rule: unknown): Promise<Response> => sim.fetch(new Request("http://sim.test/_sim/rules", { method: "POST", body: JSON.stringify(rule) }));
    expect((await post({ fault: { kind: "diverge" } })).status).toBe(200);
    expect((await post({ fault: { kind: "diverge", afterTokens: 3 } })).status).toBe(200);
    expect((await post({ fault: { kind: "reject_prefill" } })).status).toBe(200);
    expect((await post({ fault: { kind: "diverge", afterTokens: "3" } })).status).toBe(400);
    expect((await post({ fault: { kind: "cut" } })).status).toBe(400);
    expect((await post({ fault: { kind: "status", status: -1 } })).status).toBe(400);
  });
});

describe("control API", () => {
  it("manages rules, config, limits, stats, log and reset over HTTP", async () => {
    const sim = new Simulator();
    const control = (method: string, path: string, body?: unknown): Promise<Response> =>
      sim.fetch(new Request(`http://sim.test/_sim/${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));

    const added = await json(await control("POST", "rules", [{ provider: "openai", model: "m", times: 1, fault: { kind: "status", status: 503 } }]));
    expect(added["ids"]).toHaveLength(1);
    expect((await control("POST", "rules", { fault: { kind: "nope" } })).status).toBe(400);
    expect((await chat(sim, "openai", { model: "m", messages: user("a") })).status).toBe(503);
    expect((await chat(sim, "openai", { model: "m", messages: user("a") })).status).toBe(200);

    await control("POST", "rules", { fault: { kind: "status", status: 500 } });
    expect(await json(await control("DELETE", "rules"))).toEqual({ removed: 1 });

    expect(await json(await control("POST", "config", { latencyMs: 5 }))).toMatchObject({ latencyMs: 5, limits: "catalog" });
    // The counters saw the earlier success, so rpm 2 leaves room for one more.
    await control("POST", "limits", { model: "openai/m", limits: { rpm: 2 } });
    expect((await chat(sim, "openai", { model: "m", messages: user("a") })).status).toBe(200);
    expect((await chat(sim, "openai", { model: "m", messages: user("a") })).status).toBe(429);
    await control("POST", "limits", { model: "openai/m", limits: null });
    expect((await chat(sim, "openai", { model: "m", messages: user("a") })).status).toBe(200);

    const stats = await json(await control("GET", "stats"));
    expect(stats["total"]).toBe(5);
    expect((stats["byModel"] as Json)["openai/m"]).toEqual({ requests: 5, ok: 3, statuses: { "200": 3, "429": 1, "503": 1 } });

    const log = (await json(await control("GET", "log?since=3")))["entries"] as Json[];
    expect(log.map((e) => e["seq"])).toEqual([4, 5]);
    expect(log[0]).toMatchObject({ provider: "openai", model: "m", stream: false, status: 429, limited: true, body: { model: "m" } });

    await control("POST", "reset");
    expect(sim.stats()).toEqual({ total: 0, byModel: {} });
    expect(sim.config()).toEqual({ limits: "catalog", latencyMs: 0, tokenIntervalMs: 0 });
    expect(sim.log()).toEqual([]);
  });

  it("lists models per provider and builds the gateway settings", async () => {
    const sim = new Simulator();
    const list = await json(await sim.fetch(new Request("http://sim.test/gemini/v1beta/openai/models", { headers: { authorization: "Bearer k" } })));
    expect((list["data"] as Json[]).map((m) => m["id"])).toContain("models/gemini-2.5-flash");
    const env = simulatorEnv("http://sim.test");
    expect(env["WORKERS_AI_BASE_URL"]).toBe("http://sim.test/workers-ai/client/v4/accounts/sim-account/ai/v1");
    expect(env["GROQ_API_KEY"]).toBe("sim-groq-key");
    expect(env["CLOUDFLARE_ACCOUNT_ID"]).toBe("sim-account");
    expect(Object.keys(env)).toHaveLength(17);
  });
});
