// A stream that breaks after its first content chunk (the commit) is never presented as a finished answer:
// it ends with finish_reason "error" and an error object, without "stop" and without [DONE].

import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { contentReads, modelStatus, routingStatus, send, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer, type SimFault } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const PROMPT = "Tell me about the river [[tokens=60]]";

function setup(): { model: string } {
  const p = uniqueProvider();
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
  return { model: `${p}/m1` };
}

const BROKEN: Array<[string, SimFault]> = [
  ["a connection reset after 40 of 60 tokens", { kind: "cut", afterTokens: 40, clean: false }],
  ["a clean close after 40 of 60 tokens", { kind: "cut", afterTokens: 40, clean: true }],
  ["a stall after 40 tokens (idle timeout)", { kind: "stall", afterTokens: 40 }],
  ["a malformed chunk after 40 tokens", { kind: "malformed", afterTokens: 40 }],
  ["a mid-stream error chunk after 40 tokens", { kind: "error_chunk", afterTokens: 40 }],
];

describe("a stream broken after the commit", () => {
  it.each(BROKEN)("ends with finish_reason error and an error object after %s", async (_name, fault) => {
    const { model } = setup();
    const g = gw as Gateway;
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault });
    const s = await streamChat(g, { model, messages: user(PROMPT) });

    // Committed: the head went out with the first token, so the status is 200 and the chunks are this model's.
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("content-type")).toContain("text/event-stream");
    expect(s.res.headers.get("x-freeway-model")).toBe(model);
    expect(contentReads(s)).toBeGreaterThan(1);
    // Exactly the 40 tokens that were sent, nothing invented, nothing repeated.
    expect(s.text).toBe(canonicalAnswer(PROMPT, 40));

    const last = s.chunks[s.chunks.length - 1] as { choices: Array<{ finish_reason: string | null }>; error?: Record<string, unknown> };
    expect(last.choices[0]?.finish_reason).toBe("error");
    expect(last.error).toBeDefined();
    expect(typeof last.error?.message).toBe("string");
    expect(typeof last.error?.type).toBe("string");
    expect(s.finishReasons).toEqual(["error"]);
    expect(s.finishReasons).not.toContain("stop");
    expect(s.done).toBe(false);
    expect(s.data).not.toContain("[DONE]");

    // One upstream request: nothing was retried behind the caller's back.
    expect(g.sim.log().length).toBe(1);
  });

  const AFTER_FINISH: Array<[string, SimFault]> = [
    ["a connection reset", { kind: "cut", afterTokens: 0, afterFinish: true }],
    ["a stall", { kind: "stall", afterTokens: 0, afterFinish: true }],
    ["a malformed chunk", { kind: "malformed", afterTokens: 0, afterFinish: true }],
    ["a mid-stream error chunk", { kind: "error_chunk", afterTokens: 0, afterFinish: true }],
  ];

  it.each(AFTER_FINISH)("ends as the finished answer it is when %s comes after finish_reason", async (_name, fault) => {
    const { model } = setup();
    const g = gw as Gateway;
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault });
    const s = await streamChat(g, { model, messages: user(PROMPT), stream_options: { include_usage: true } });
    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    // One stop, no error, no second answer from a rescue, and the [DONE] the provider never sent.
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(s.data[s.data.length - 1]).toBe("[DONE]");
    expect(g.sim.log().length).toBe(1);
    // The model answered in full: it is not held against it.
    const m = modelStatus(await routingStatus(g), model);
    expect(m.consecutive_failures).toBe(0);
    expect(m.last_error).toBeNull();
  });

  it("waits for a caller slower to read than the idle timeout: the provider did not stall", async () => {
    const { model } = setup();
    const g = gw as Gateway;
    // IDLE_TIMEOUT_MS is 300 in these tests: the caller stops reading for longer mid-answer.
    const s = await streamChat(g, { model, messages: user(PROMPT) }, { afterReads: 10, ms: 700 });
    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(s.done).toBe(true);
    expect(g.sim.log().length).toBe(1);
    const m = modelStatus(await routingStatus(g), model);
    expect(m.consecutive_failures).toBe(0);
  });

  it("supplies the missing [DONE] when the answer itself finished", async () => {
    const { model } = setup();
    const g = gw as Gateway;
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "no_done" } });
    const s = await streamChat(g, { model, messages: user(PROMPT) });
    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(contentReads(s)).toBeGreaterThan(1);
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(s.data[s.data.length - 1]).toBe("[DONE]");
    expect(g.sim.log()).toMatchObject([{ model: "m1", status: 200, fault: "no_done" }]);
  });

  it("passes a healthy 60-token stream through chunk by chunk, ending with stop and [DONE]", async () => {
    const { model } = setup();
    const g = gw as Gateway;
    const s = await streamChat(g, { model, messages: user(PROMPT) });
    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    // One read per upstream chunk: the gateway does not buffer the answer.
    expect(contentReads(s)).toBeGreaterThanOrEqual(30);
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.done).toBe(true);
  });

  it("stops the upstream stream when the caller goes away mid-answer", async () => {
    const { model } = setup();
    const g = gw as Gateway;
    g.sim.config({ tokenIntervalMs: 5 });
    const { res, settle } = await send(g, "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, stream: true, messages: user(PROMPT) }),
    });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    for (let i = 0; i < 5; i++) await reader?.read();
    await reader?.cancel();
    await settle();
    const entry = g.sim.log()[0];
    expect(entry?.aborted).toBe(true);
    expect(entry?.tokensSent).toBeLessThan(60);
  });
});
