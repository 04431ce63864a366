// Streamed Responses: the documented event sequence with event: and data: lines and increasing sequence numbers,
// delivered as the answer arrives; a final object equal to the non-streamed one; failures after the commit end
// in response.failed and an error event, never response.completed.

import { afterEach, describe, expect, it } from "vitest";
import { canonicalAnswer } from "../simulator/index.ts";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { send } from "../helpers/integration.ts";
import { chunk, DONE, type Scripted, scriptedGateway } from "../helpers/scripted-provider.ts";

let gw: Gateway | undefined;
let scripted: Scripted | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
  scripted?.close();
  scripted = undefined;
});

type Json = Record<string, unknown>;

interface Event {
  event: string;
  data: Json & { type: string; sequence_number: number };
}

interface Streamed {
  res: Response;
  events: Event[];
  /** events completed by each read: more than one read with events = streamed, not buffered */
  reads: number;
  /** SSE comments (keep-alives) */
  comments: number;
}

function setup(): { g: Gateway; model: string } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
  return { g: gw, model: `${p}/m1` };
}

async function stream(g: Gateway, body: Json): Promise<Streamed> {
  const { res, settle } = await send(g, "/v1/responses", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const out: Streamed = { res, events: [], reads: 0, comments: 0 };
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    if (!reader) break;
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    let got = 0;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const lines = block.split("\n");
      if (lines.every((l) => l.startsWith(":"))) {
        out.comments++;
        continue;
      }
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "";
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6) ?? "null";
      out.events.push({ event, data: JSON.parse(data) as Event["data"] });
      got++;
    }
    if (got > 0) out.reads++;
  }
  expect(buf).toBe("");
  await settle();
  return out;
}

function create(g: Gateway, body: Json): Promise<Response> {
  return g.fetch("/v1/responses", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** A Response object without what differs between two answers to the same question (ids, time). */
function comparable(r: Json): Json {
  const output = (r.output as Json[]).map(({ id: _id, ...rest }) => rest);
  const { id: _id, created_at: _t, ...rest } = r;
  return { ...rest, output };
}

describe("streamed responses", () => {
  it("sends the documented events in order, with event: lines, increasing sequence numbers, as the answer arrives", async () => {
    const { g, model } = setup();
    g.sim.config({ tokenIntervalMs: 5 });
    const prompt = "Stream me an answer";
    const s = await stream(g, { model, input: prompt });
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("content-type")).toContain("text/event-stream");
    expect(s.res.headers.get("x-freeway-model")).toBe(model);
    const types = s.events.map((e) => e.data.type);
    for (const e of s.events) expect(e.event).toBe(e.data.type);
    expect(s.events.map((e) => e.data.sequence_number)).toEqual(s.events.map((_, i) => i));
    const deltas = types.filter((t) => t === "response.output_text.delta").length;
    expect(deltas).toBe(12);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...Array<string>(deltas).fill("response.output_text.delta"),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const text = s.events.filter((e) => e.data.type === "response.output_text.delta").map((e) => e.data.delta as string).join("");
    expect(text).toBe(canonicalAnswer(prompt, 12));
    const created = s.events[0]?.data.response as Json;
    expect(created).toMatchObject({ status: "in_progress", output: [], usage: null });
    const added = s.events[2]?.data as Json;
    expect(added.item).toEqual({ id: expect.stringMatching(/^msg_/), type: "message", status: "in_progress", role: "assistant", content: [] });
    const done = s.events.find((e) => e.data.type === "response.output_text.done")?.data as Json;
    expect(done.text).toBe(text);
    const final = s.events.at(-1)?.data.response as Json;
    expect(final.status).toBe("completed");
    expect(final.id).toBe(created.id);
    expect((final.usage as Json).output_tokens).toBe(12);
    // Streamed: the deltas came over several reads, not in one buffered piece.
    expect(s.reads).toBeGreaterThan(3);
  });

  it("ends with the same Response object as the non-streamed answer to the same question", async () => {
    const { g, model } = setup();
    const ask = { model, input: "Same answer both ways", instructions: "Be exact.", metadata: { run: "1" }, temperature: 0.5 };
    const plain = (await (await create(g, ask)).json()) as Json;
    const s = await stream(g, ask);
    const final = s.events.at(-1)?.data.response as Json;
    expect(comparable(final)).toEqual(comparable(plain));
  });

  it("streams a function call as output_item.added, an arguments delta, arguments.done and output_item.done", async () => {
    const { g, model } = setup();
    const tools = [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
    const s = await stream(g, { model, input: "Weather in Paris?", tools });
    const types = s.events.map((e) => e.data.type);
    const argDeltas = types.filter((t) => t === "response.function_call_arguments.delta").length;
    // Chat passes each tool call on whole (so a failure inside one can fail over): one arguments delta.
    expect(argDeltas).toBe(1);
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      ...Array<string>(argDeltas).fill("response.function_call_arguments.delta"),
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const args = s.events.filter((e) => e.data.type === "response.function_call_arguments.delta").map((e) => e.data.delta as string).join("");
    expect(JSON.parse(args)).toEqual({ city: "Paris" });
    const item = s.events.find((e) => e.data.type === "response.output_item.done")?.data.item as Json;
    expect(item).toMatchObject({ type: "function_call", status: "completed", name: "get_weather", arguments: args });
    expect(item.call_id).toMatch(/^call_/);
    const plain = (await (await create(g, { model, input: "Weather in Paris?", tools })).json()) as Json;
    expect(comparable(s.events.at(-1)?.data.response as Json)).toEqual(comparable(plain));
  });

  it("ends an answer cut by max_output_tokens with response.incomplete", async () => {
    const { g, model } = setup();
    const s = await stream(g, { model, input: "Long one [[tokens=40]]", max_output_tokens: 4 });
    const last = s.events.at(-1)?.data as Json;
    expect(last.type).toBe("response.incomplete");
    expect(last.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(s.events.map((e) => e.data.type)).not.toContain("response.completed");
  });

  for (const fault of [
    { kind: "cut", afterTokens: 3 },
    { kind: "stall", afterTokens: 3 },
    { kind: "malformed", afterTokens: 3 },
    { kind: "error_chunk", afterTokens: 3 },
  ] as const) {
    it(`ends a stream that breaks after the commit (${fault.kind}) with response.failed and an error event, never completed`, async () => {
      const { g, model } = setup();
      g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault });
      const s = await stream(g, { model, input: `Break after three (${fault.kind})` });
      const types = s.events.map((e) => e.data.type);
      expect(types).not.toContain("response.completed");
      expect(types.slice(-2)).toEqual(["response.failed", "error"]);
      expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThanOrEqual(1);
      const failed = s.events.at(-2)?.data.response as Json;
      expect(failed.status).toBe("failed");
      expect((failed.error as Json).message).toMatch(/incomplete/);
      expect((failed.output as Json[])[0]?.status).toBe("incomplete");
      const error = s.events.at(-1)?.data as Json;
      expect(error.code).toMatch(/^stream_/);
      expect(error.message).toMatch(/incomplete/);
      // Stored as failed, not as a finished answer.
      const stored = (await (await g.fetch(`/v1/responses/${failed.id as string}`)).json()) as Json;
      expect(stored.status).toBe("failed");
    });
  }
});

describe("streamed responses from providers' own framing", () => {
  it("a provider that puts \"error\": null on every chunk (Foundry Local) still completes the answer", async () => {
    scripted = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", content: "The river" }, null, { error: null }), chunk({ content: " runs" }, null, { error: null }), chunk({}, "stop", { error: null }), DONE]] },
    ]);
    const { events } = await stream(scripted.g, { model: scripted.ids[0], input: "hi" });
    const types = events.map((e) => e.data.type);
    expect(types).not.toContain("response.failed");
    expect(types.at(-1)).toBe("response.completed");
    const final = events.at(-1)?.data.response as { status: string; output: Array<{ content: Array<{ text: string }> }> };
    expect(final.status).toBe("completed");
    expect(final.output[0]?.content[0]?.text).toBe("The river runs");
  });

  it("passes the keep-alive comments of a rescue under way on to the caller, and completes the rescued answer", async () => {
    scripted = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", content: "The river" }), { drop: "Network connection lost." }]] },
      { scripts: [[{ wait: 250 }, chunk({ role: "assistant", content: "The river" }), { wait: 250 }, chunk({ content: " runs" }), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const { events, comments } = await stream(scripted.g, { model: scripted.ids[0], models: scripted.ids, input: "hi" });
    expect(comments).toBeGreaterThanOrEqual(2);
    const final = events.at(-1)?.data.response as { status: string; output: Array<{ content: Array<{ text: string }> }> };
    expect(final.status).toBe("completed");
    expect(final.output[0]?.content[0]?.text).toBe("The river runs");
  });

  it("parallel function calls: each output item is done before the next is added, as OpenAI sends them", async () => {
    scripted = scriptedGateway([
      {
        scripts: [
          [
            chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "f", arguments: '{"x":1}' } }] }),
            chunk({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "g", arguments: '{"y":2}' } }] }),
            chunk({}, "tool_calls"),
            DONE,
          ],
        ],
      },
    ]);
    const tools = [
      { type: "function", name: "f", parameters: { type: "object" } },
      { type: "function", name: "g", parameters: { type: "object" } },
    ];
    const { events } = await stream(scripted.g, { model: scripted.ids[0], input: "hi", tools });
    const at = (type: string, index: number): number => events.findIndex((e) => e.data.type === type && e.data.output_index === index);
    expect(at("response.output_item.added", 1)).toBeGreaterThan(0);
    expect(at("response.function_call_arguments.done", 0)).toBeLessThan(at("response.output_item.added", 1));
    expect(at("response.output_item.done", 0)).toBeLessThan(at("response.output_item.added", 1));
    const final = events.at(-1)?.data.response as { output: Array<{ type: string; call_id: string; arguments: string; status: string }> };
    expect(final.output.map((o) => [o.type, o.call_id, o.arguments, o.status])).toEqual([
      ["function_call", "call_a", '{"x":1}', "completed"],
      ["function_call", "call_b", '{"y":2}', "completed"],
    ]);
  });
});
