import { describe, expect, it } from "vitest";
import { HttpError } from "../../worker/errors.ts";
import { validateChat } from "../../worker/validate.ts";

function reject(body: unknown): { param: string | null; message: string; code: string | null } {
  try {
    validateChat(body);
  } catch (e) {
    if (e instanceof HttpError) {
      expect(e.status).toBe(400);
      return { param: e.param, message: e.message, code: e.code };
    }
    throw e;
  }
  throw new Error("accepted a bad body");
}

const ok = { model: "auto", messages: [{ role: "user", content: "hi" }] };

describe("chat request validation", () => {
  it("accepts a minimal request and passes unknown fields through", () => {
    const r = validateChat({ ...ok, some_future_param: { x: 1 } });
    expect(r.some_future_param).toEqual({ x: 1 });
  });

  it("names the missing or empty field", () => {
    expect(reject({ messages: ok.messages })).toMatchObject({ param: "model", code: "missing_required_parameter" });
    expect(reject({ model: "", messages: ok.messages })).toMatchObject({ param: "model" });
    expect(reject({ model: "auto" })).toMatchObject({ param: "messages", code: "missing_required_parameter" });
    expect(reject({ model: "auto", messages: [] })).toMatchObject({ param: "messages" });
  });

  it("names wrong types deep in the body", () => {
    expect(reject({ model: 42, messages: ok.messages }).param).toBe("model");
    expect(reject({ ...ok, messages: [{ role: "user", content: 7 }] }).param).toBe("messages[0].content");
    expect(reject({ ...ok, messages: [{ role: "robot", content: "x" }] }).param).toBe("messages[0].role");
    expect(reject({ ...ok, temperature: "hot" }).param).toBe("temperature");
    expect(reject({ ...ok, temperature: 3 }).param).toBe("temperature");
    expect(reject({ ...ok, max_tokens: 1.5 }).param).toBe("max_tokens");
    expect(reject({ ...ok, stream: "yes" }).param).toBe("stream");
    expect(reject({ ...ok, tools: [{ type: "function", function: { name: "has space" } }] }).param).toBe("tools[0].function.name");
    expect(reject({ ...ok, response_format: { type: "yaml" } }).param).toBe("response_format.type");
    expect(reject([1, 2]).param).toBe("body");
  });

  it("accepts a multi-turn tool conversation with assistant content null", () => {
    expect(() =>
      validateChat({
        model: "auto",
        messages: [
          { role: "user", content: "weather?" },
          { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "w", arguments: "{}" } }] },
          { role: "tool", tool_call_id: "c1", content: "sunny" },
        ],
        tools: [{ type: "function", function: { name: "w", parameters: { type: "object" } } }],
      }),
    ).not.toThrow();
    expect(reject({ model: "auto", messages: [{ role: "tool", content: "x" }] }).param).toBe("messages[0].tool_call_id");
    expect(reject({ model: "auto", messages: [{ role: "user", content: null }] }).param).toBe("messages[0].content");
  });

  it("takes the first of an OpenRouter-style models list as the model", () => {
    expect(validateChat({ models: ["a", "b"], messages: ok.messages }).model).toBe("a");
    expect(reject({ ...ok, models: [] }).param).toBe("models");
  });
});
