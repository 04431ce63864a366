import { describe, expect, it } from "vitest";
import type { Leg, LegRead } from "../../worker/leg.ts";
import { Relay } from "../../worker/relay.ts";
import { RouteTrace } from "../../worker/route.ts";

type Part = Record<string, unknown>;

/** A committed leg that yields these chunks, then ends cleanly (or as `last` says). */
function scripted(chunks: Array<Record<string, unknown>>, last: LegRead = { kind: "end", missingDone: false }): Leg {
  const reads: LegRead[] = [...chunks.map((chunk): LegRead => ({ kind: "chunk", chunk: chunk as never })), last];
  return {
    model: "p/m",
    provider: "p",
    a: { provider: { key: undefined }, promptTokens: 5, settings: { idleTimeoutMs: 30_000 } },
    state: { usage: undefined, started: new Set<number>(), finished: new Set<number>() },
    next: async () => reads.shift() as LegRead,
    close: () => null,
  } as unknown as Leg;
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> {
  return { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** The tool calls the caller receives, put back together as an OpenAI client does (by index). */
async function callsOut(chunks: Array<Record<string, unknown>>): Promise<Array<{ id: string; name: string; arguments: string }>> {
  const relay = new Relay(scripted(chunks), { includeUsage: false, rescue: async () => null, trace: new RouteTrace(Date.now()), traceInBody: false, started: Date.now(), onEnd: () => undefined });
  const text = await new Response(relay.readable).text();
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const c = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { tool_calls?: Part[] } }> };
    for (const t of c.choices?.[0]?.delta?.tool_calls ?? []) {
      const i = t.index as number;
      const fn = (t.function ?? {}) as { name?: string; arguments?: string };
      calls[i] ??= { id: "", name: "", arguments: "" };
      const call = calls[i] as { id: string; name: string; arguments: string };
      if (typeof t.id === "string") call.id = t.id;
      call.name += fn.name ?? "";
      call.arguments += fn.arguments ?? "";
    }
  }
  return calls;
}

describe("tool calls passed on in a stream", () => {
  it("keeps parallel calls sent whole without an index (Gemini's OpenAI layer) apart", async () => {
    const whole = (id: string, city: string): Part => ({ id, type: "function", function: { name: "get_weather", arguments: JSON.stringify({ city }) } });
    expect(
      await callsOut([chunk({ role: "assistant", tool_calls: [whole("call_a", "London")] }), chunk({ tool_calls: [whole("call_b", "Paris")] }), chunk({}, "tool_calls")]),
    ).toEqual([
      { id: "call_a", name: "get_weather", arguments: '{"city":"London"}' },
      { id: "call_b", name: "get_weather", arguments: '{"city":"Paris"}' },
    ]);
    // The same with index 0 on every call.
    const zero = (id: string, city: string): Part => ({ index: 0, ...whole(id, city) });
    expect(await callsOut([chunk({ tool_calls: [zero("call_a", "London")] }), chunk({ tool_calls: [zero("call_b", "Paris")] }), chunk({}, "tool_calls")])).toHaveLength(2);
    // Three or more come out in the order the model made them.
    const three = await callsOut([chunk({ tool_calls: [zero("call_a", "London")] }), chunk({ tool_calls: [zero("call_b", "Paris")] }), chunk({ tool_calls: [zero("call_c", "Rome")] }), chunk({}, "tool_calls")]);
    expect(three.map((c) => c.id)).toEqual(["call_a", "call_b", "call_c"]);
  });

  it("still joins the fragments of indexed calls streamed piece by piece", async () => {
    expect(
      await callsOut([
        chunk({ tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
        chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: "{}" } }] }),
        chunk({}, "tool_calls"),
      ]),
    ).toEqual([
      { id: "call_a", name: "f", arguments: '{"x":1}' },
      { id: "call_b", name: "g", arguments: "{}" },
    ]);
  });
});

describe("a stream restarted on another model", () => {
  it("does not pass on the new model's thinking once the caller is reading the answer", async () => {
    const first = scripted([chunk({ role: "assistant", content: "Hello" })], { kind: "broken", reason: "cut", message: "the connection dropped" });
    const second = scripted([chunk({ role: "assistant", reasoning_content: "Let me think." }), chunk({ content: "Hello world" }), chunk({}, "stop")]);
    const relay = new Relay(first, {
      includeUsage: false,
      rescue: async () => ({ leg: second, mode: "restart" }),
      trace: new RouteTrace(Date.now()),
      traceInBody: false,
      started: Date.now(),
      onEnd: () => undefined,
    });
    const deltas = (await new Response(relay.readable).text())
      .split("\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: Record<string, unknown> }> }).choices[0]?.delta ?? {});
    expect(deltas.map((d) => d.content ?? "").join("")).toBe("Hello world");
    expect(deltas.some((d) => d.reasoning_content !== undefined)).toBe(false);
  });
});
