import { describe, expect, it } from "vitest";
import { HttpError } from "../../worker/errors.ts";
import { fromCompletion } from "../../worker/responses/shape.ts";
import { toChatRequest, toMessages } from "../../worker/responses/to-chat.ts";
import { validateResponses } from "../../worker/responses/validate.ts";

describe("Responses → chat", () => {
  it("gives a chat answer's refusal its own refusal part, not the answer's text", () => {
    const { output } = fromCompletion({ choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help with that." }, finish_reason: "stop" }] });
    expect(output).toHaveLength(1);
    expect(output[0]).toMatchObject({ type: "message", status: "completed", content: [{ type: "refusal", refusal: "I can't help with that." }] });
  });

  it("makes a string input one user message and drops reasoning items", () => {
    expect(validateResponses({ model: "auto", input: "hi" }).input).toEqual([{ type: "message", role: "user", content: "hi" }]);
    const r = validateResponses({ model: "auto", input: [{ type: "reasoning", id: "rs_1", summary: [] }, { role: "user", content: "go" }] });
    expect(r.input).toEqual([{ type: "message", role: "user", content: "go" }]);
    expect(r.store).toBe(true);
    expect(r.stream).toBe(false);
  });

  it("joins an answer's text and its function calls into one assistant message, as chat expects", () => {
    const messages = toMessages(
      [
        { type: "message", role: "user", content: "Weather in Paris and Rome?" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Let me check." }] },
        { type: "function_call", call_id: "c1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", call_id: "c2", name: "weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "c1", output: "sunny" },
        { type: "function_call_output", call_id: "c2", output: "rain" },
      ],
      0,
    );
    expect(messages).toEqual([
      { role: "user", content: "Weather in Paris and Rome?" },
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } },
          { id: "c2", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "sunny" },
      { role: "tool", tool_call_id: "c2", content: "rain" },
    ]);
  });

  it("names the input item whose output answers no earlier call (history counted apart)", () => {
    try {
      toMessages([{ type: "message", role: "user", content: "x" }, { type: "function_call_output", call_id: "zz", output: "?" }], 1);
      throw new Error("expected a 400");
    } catch (e) {
      expect(e).toBeInstanceOf(HttpError);
      expect((e as HttpError).param).toBe("input[0].call_id");
    }
  });

  it("maps developer to system, tools and tool_choice to chat's shapes, text.format to response_format", () => {
    const req = validateResponses({
      model: "auto",
      instructions: "Be terse.",
      input: [{ role: "developer", content: "metric units" }, { role: "user", content: "hi" }],
      tools: [{ type: "function", name: "f", description: "does f", parameters: { type: "object" }, strict: true }],
      tool_choice: { type: "function", name: "f" },
      parallel_tool_calls: false,
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
      max_output_tokens: 77,
      stream: true,
    });
    expect(toChatRequest(req, [])).toEqual({
      model: "auto",
      messages: [
        { role: "system", content: "Be terse." },
        { role: "system", content: "metric units" },
        { role: "user", content: "hi" },
      ],
      tools: [{ type: "function", function: { name: "f", description: "does f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      parallel_tool_calls: false,
      max_tokens: 77,
      response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});
