// A caller's mistakes come back as OpenAI-style 400s that name the bad field, through the SDK and raw HTTP alike;
// never a 500, and never a call upstream.

import { APIError, BadRequestError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import { describe, expect, it } from "vitest";
import { chatLog, logMark, useStack } from "./harness.ts";

const stack = useStack();

/** The SDK's error for a body the types would not allow (a user of plain JavaScript can send anything). */
async function sdkError(body: Record<string, unknown>): Promise<APIError> {
  const since = logMark(stack.sim);
  try {
    await stack.client.chat.completions.create(body as unknown as ChatCompletionCreateParamsNonStreaming);
  } catch (e) {
    expect(e).toBeInstanceOf(APIError);
    expect(chatLog(stack.sim, since), "a bad request never reaches a provider").toHaveLength(0);
    return e as APIError;
  }
  throw new Error("expected a 400, but the request succeeded");
}

interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function rawPost(body: string, headers: Record<string, string> = { "content-type": "application/json" }): Promise<{ status: number; body: ErrorEnvelope }> {
  const res = await fetch(`${stack.baseURL}/chat/completions`, { method: "POST", headers, body });
  return { status: res.status, body: (await res.json()) as ErrorEnvelope };
}

const hello = [{ role: "user", content: "hello" }];

describe("bad input", () => {
  it("rejects a request without messages: 400 BadRequestError, param 'messages'", async () => {
    const e = await sdkError({ model: "auto" });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.status).toBe(400);
    expect(e.param).toBe("messages");
    expect(e.type).toBe("invalid_request_error");
    expect(e.message).toMatch(/messages/);
    expect((e.error as ErrorEnvelope["error"]).param).toBe("messages");
  });

  it("rejects an empty messages array: 400, param 'messages'", async () => {
    const e = await sdkError({ model: "auto", messages: [] });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe("messages");
    expect(e.message).toMatch(/messages/);
  });

  it("rejects a model that is not a string (42): 400, param 'model', saying what it got", async () => {
    const e = await sdkError({ model: 42, messages: hello });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe("model");
    expect(e.message).toMatch(/model/);
    expect(e.message).toMatch(/string/);
  });

  it("rejects a missing model: 400, param 'model'", async () => {
    const e = await sdkError({ messages: hello });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe("model");
  });

  it("rejects an unknown model: 400 naming the model, param 'model', code model_not_found", async () => {
    const e = await sdkError({ model: "no-such-provider/imaginary-model-9000", messages: hello });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe("model");
    expect(e.code).toBe("model_not_found");
    expect(e.message).toContain("no-such-provider/imaginary-model-9000");
  });

  it("rejects an unknown entry of a models list, naming its position", async () => {
    const e = await sdkError({ model: "auto", models: ["auto", "imaginary-model-9001"], messages: hello });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toMatch(/^models\[\d+\]$/);
    expect(e.message).toContain("imaginary-model-9001");
  });

  it("rejects a message with an unknown role, naming the message", async () => {
    const e = await sdkError({ model: "auto", messages: [{ role: "wizard", content: "hi" }] });
    expect(e).toBeInstanceOf(BadRequestError);
    expect(e.param).toBe("messages[0].role");
    expect(e.message).toContain("wizard");
  });

  it("rejects a bad field with a 400 before any stream starts when stream is true", async () => {
    const since = logMark(stack.sim);
    let caught: unknown;
    try {
      const stream = await stack.client.chat.completions.create({
        model: "auto",
        stream: true,
        messages: [],
      } as ChatCompletionCreateParamsStreaming);
      for await (const chunk of stream) void chunk;
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(BadRequestError);
    expect((caught as APIError).param).toBe("messages");
    expect(chatLog(stack.sim, since)).toHaveLength(0);
  });

  it("rejects a body that is not JSON with 400 invalid_json (raw fetch)", async () => {
    const { status, body } = await rawPost('{"model": "auto", "messages": [');
    expect(status).toBe(400);
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.code).toBe("invalid_json");
    expect(body.error.message).toMatch(/JSON/);
  });

  it("rejects a JSON body that is not an object (raw fetch)", async () => {
    const { status, body } = await rawPost("[1, 2, 3]");
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/object/);
  });

  it("rejects an empty body (raw fetch)", async () => {
    const { status, body } = await rawPost("");
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/\S/);
  });

  it("answers every malformed request with a 4xx OpenAI error envelope, never a 500", async () => {
    const bodies: string[] = [
      "null",
      '"just a string"',
      "{}",
      '{"model": null, "messages": null}',
      '{"model": "auto", "messages": "hello"}',
      '{"model": "auto", "messages": [null]}',
      '{"model": "auto", "messages": [{"role": "user"}]}',
      '{"model": "auto", "messages": [{"role": "user", "content": 7}]}',
      '{"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
      '{"model": "auto", "messages": [{"role": "tool", "content": "x"}]}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -5}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": "all"}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}',
      '{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "xml"}}',
      '{"model": "auto", "models": [], "messages": [{"role": "user", "content": "hi"}]}',
      '{"model": "", "messages": [{"role": "user", "content": "hi"}]}',
    ];
    const since = logMark(stack.sim);
    for (const body of bodies) {
      const res = await rawPost(body);
      expect(res.status, body).toBe(400);
      expect(res.body.error.type, body).toBe("invalid_request_error");
      expect(res.body.error.message, body).toMatch(/\S/);
    }
    expect(chatLog(stack.sim, since)).toHaveLength(0);
  });
});
