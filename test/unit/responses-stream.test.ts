// The chat-stream → Responses-events translation on hand-made chat streams (shapes the simulator never sends).

import { describe, expect, it } from "vitest";
import { ResponsesStream } from "../../worker/responses/stream.ts";
import { validateResponses } from "../../worker/responses/validate.ts";

type Json = Record<string, unknown>;

function chatStream(chunks: Array<Json | string>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(`data: ${typeof ch === "string" ? ch : JSON.stringify(ch)}\n\n`));
      c.close();
    },
  });
}

const delta = (d: Json, finish: string | null = null): Json => ({ id: "c", object: "chat.completion.chunk", model: "p/m", choices: [{ index: 0, delta: d, finish_reason: finish }] });

async function events(chunks: Array<Json | string>): Promise<{ list: Json[]; stored: Json[] }> {
  const stored: Json[] = [];
  const s = new ResponsesStream(chatStream(chunks), validateResponses({ model: "auto", input: "x" }), { id: "resp_t", createdAt: 1, model: "p/m" }, async ({ response }) => {
    stored.push(response);
  });
  const text = await new Response(s.readable).text();
  const list = text
    .split("\n\n")
    .filter((b) => b.trim() !== "")
    .map((b) => JSON.parse(b.split("\n").find((l) => l.startsWith("data: "))?.slice(6) ?? "null") as Json);
  return { list, stored };
}

describe("ResponsesStream", () => {
  it("closes the text item before a function call starts, and lists both in the final output", async () => {
    const { list, stored } = await events([
      delta({ role: "assistant", content: "" }),
      delta({ content: "Checking" }),
      delta({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      delta({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
      delta({}, "tool_calls"),
      { id: "c", choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } },
      "[DONE]",
    ]);
    expect(list.map((e) => [e.type, e.output_index ?? null])).toEqual([
      ["response.created", null],
      ["response.in_progress", null],
      ["response.output_item.added", 0],
      ["response.content_part.added", 0],
      ["response.output_text.delta", 0],
      ["response.output_text.done", 0],
      ["response.content_part.done", 0],
      ["response.output_item.done", 0],
      ["response.output_item.added", 1],
      ["response.function_call_arguments.delta", 1],
      ["response.function_call_arguments.delta", 1],
      ["response.function_call_arguments.done", 1],
      ["response.output_item.done", 1],
      ["response.completed", null],
    ]);
    const final = list.at(-1)?.response as Json;
    expect(final.output).toMatchObject([
      { type: "message", status: "completed", content: [{ type: "output_text", text: "Checking" }] },
      { type: "function_call", status: "completed", call_id: "call_1", name: "f", arguments: '{"a":1}' },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 3, total_tokens: 8 });
    expect(stored).toEqual([final]);
  });

  it("passes on a refusal as a refusal part with its own events, never as the answer's text", async () => {
    const { list, stored } = await events([
      delta({ role: "assistant", content: "" }),
      delta({ refusal: "I can't " }),
      delta({ refusal: "help with that." }),
      delta({}, "stop"),
      "[DONE]",
    ]);
    expect(list.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.refusal.delta",
      "response.refusal.delta",
      "response.refusal.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(list.find((e) => e.type === "response.refusal.done")).toMatchObject({ content_index: 0, refusal: "I can't help with that." });
    const output = (stored[0]?.output as Json[])[0];
    expect(output).toMatchObject({ type: "message", content: [{ type: "refusal", refusal: "I can't help with that." }] });
    // Text and a refusal in one answer: two parts, in the order they began.
    const both = await events([delta({ content: "Well." }), delta({ refusal: "No." }), delta({}, "stop"), "[DONE]"]);
    expect(((both.stored[0]?.output as Json[])[0] as Json).content).toEqual([
      { type: "output_text", text: "Well.", annotations: [], logprobs: [] },
      { type: "refusal", refusal: "No." },
    ]);
  });

  it("turns the gateway's error chunk into response.failed and an error event, keeping the partial text", async () => {
    const { list, stored } = await events([
      delta({ content: "Half an" }),
      { id: "c", choices: [{ index: 0, delta: {}, finish_reason: "error" }], error: { message: "The answer from p/m is incomplete: cut", type: "upstream_error", code: "stream_cut" } },
      "[DONE]",
    ]);
    const types = list.map((e) => e.type);
    expect(types.slice(-2)).toEqual(["response.failed", "error"]);
    expect(types).not.toContain("response.completed");
    const failed = list.at(-2)?.response as Json;
    expect(failed).toMatchObject({ status: "failed", error: { code: "server_error", message: "The answer from p/m is incomplete: cut" } });
    expect(failed.output).toMatchObject([{ type: "message", status: "incomplete", content: [{ text: "Half an" }] }]);
    expect(list.at(-1)).toMatchObject({ type: "error", code: "stream_cut", param: null });
    expect(stored[0]?.status).toBe("failed");
  });

  it("treats a chat stream that stops without [DONE] as failed", async () => {
    const { list } = await events([delta({ content: "Never" }), delta({ content: " finished" })]);
    expect(list.map((e) => e.type).slice(-2)).toEqual(["response.failed", "error"]);
  });

  it("numbers events from 0 without gaps and repeats the type in an event: line", async () => {
    const s = new ResponsesStream(chatStream([delta({ content: "a" }), delta({}, "stop"), "[DONE]"]), validateResponses({ model: "auto", input: "x" }), { id: "resp_t", createdAt: 1, model: "p/m" }, async () => undefined);
    const raw = await new Response(s.readable).text();
    const blocks = raw.split("\n\n").filter((b) => b !== "");
    blocks.forEach((b, i) => {
      const [ev, data] = b.split("\n");
      const parsed = JSON.parse((data ?? "").slice(6)) as Json;
      expect(ev).toBe(`event: ${parsed.type as string}`);
      expect(parsed.sequence_number).toBe(i);
    });
  });
});
