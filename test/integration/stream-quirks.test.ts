// Streams as servers other than the big providers send them (Ollama, SGLang, Foundry Local, keep-alive proxies),
// and callers that hang up mid-stream: played byte for byte by a scripted provider.

import { afterEach, describe, expect, it } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { send, sleep, streamChat, user } from "../helpers/integration.ts";
import { chunk, DONE, type Scripted, scriptedGateway } from "../helpers/scripted-provider.ts";

let s: Scripted | undefined;
let gw: Gateway | undefined;
afterEach(() => {
  s?.close();
  s = undefined;
  gw?.close();
  gw = undefined;
});

describe("streams from other servers", () => {
  it("takes finish_reason \"\" on every chunk (Ollama, SGLang) as no finish: a cut after it is no finished answer", async () => {
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }, ""), chunk({ content: " runs" }, "null"), { drop: "Network connection lost." }]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], messages: user("hi") });
    expect(r.text).toBe("The river runs");
    expect(r.finishReasons).toEqual(["error"]);
    expect(r.done).toBe(false);
    // The caller gets OpenAI's null while the answer runs, not the server's "".
    expect(r.chunks.slice(0, 2).map((c) => (c.choices as Array<{ finish_reason: unknown }>)[0]?.finish_reason)).toEqual([null, null]);
  });

  it("passes a stream through whose chunks carry \"error\": null (Foundry Local)", async () => {
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }, null, { error: null }), chunk({ content: " runs" }, null, { error: null }), chunk({}, "stop", { error: null }), DONE]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], messages: user("hi") });
    expect(r.res.status).toBe(200);
    expect(r.text).toBe("The river runs");
    expect(r.finishReasons).toEqual(["stop"]);
  });

  it("ignores an empty data: keep-alive in the middle of an answer", async () => {
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }), "data: \n\n", "data:\n\n", chunk({ content: " runs" }), chunk({}, "stop"), DONE]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], messages: user("hi") });
    expect(r.text).toBe("The river runs");
    expect(r.finishReasons).toEqual(["stop"]);
    expect(r.done).toBe(true);
  });

  it("estimates the completion tokens of an n=2 stream whose provider sent no usage", async () => {
    const two = (d0: Record<string, unknown>, d1: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id: "u", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta: d0, finish_reason: finish }, { index: 1, delta: d1, finish_reason: finish }] })}\n\n`;
    s = scriptedGateway([{ scripts: [[two({ role: "assistant", content: "one two three" }, { role: "assistant", content: "four five six" }), two({ content: " seven eight" }, { content: " nine ten" }), two({}, {}, "stop"), DONE]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], n: 2, messages: user("hi"), stream_options: { include_usage: true } });
    expect(r.done).toBe(true);
    const usage = r.chunks.find((c) => c.usage)?.usage as { completion_tokens: number };
    // 47 characters over both choices: about 12 tokens.
    expect(usage.completion_tokens).toBe(12);
  });

  it("asks a prefill rescue for what is left of max_tokens, counting the tokens sent, not the chunks", async () => {
    const words = (n: number): string => Array.from({ length: n }, (_, i) => ` word${i}`).join("");
    s = scriptedGateway([
      // Whole phrases a chunk, as Gemini sends them.
      { scripts: [[chunk({ role: "assistant", content: words(15) }), chunk({ content: words(15) }), { drop: "Network connection lost." }]] },
      { scripts: [[chunk({ role: "assistant", content: " end" }), chunk({}, "length"), DONE]], prefill: true },
    ]);
    const r = await streamChat(s.g, { models: s.ids, max_tokens: 100, messages: user("hi") });
    expect(r.finishReasons).toEqual(["length"]);
    // 30 words of 6 or 7 characters were sent: about 50 tokens of the 100.
    expect(s.calls[1]?.body.max_tokens).toBe(100 - Math.ceil((words(15).length * 2) / 4));
  });
});

describe("a caller that hangs up", () => {
  // The answer commits, then its connection drops; the rescue's provider never answers, so only the caller's
  // hang-up (or that attempt's own first-byte timeout, 300 ms here) ends the call.
  it.each([
    ["the connection closes 100 ms in", 30, true],
    ["it stops reading 400 ms in", 330, false],
  ])("ends a rescue in flight: %s", async (_what, cutAfterMs, abort) => {
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }), { wait: cutAfterMs }, { drop: "Network connection lost." }]] }, { scripts: [["no_head"]], prefill: true }]);
    const ac = new AbortController();
    const { res } = await send(s.g, "/v1/chat/completions", { method: "POST", signal: ac.signal, headers: { "content-type": "application/json" }, body: JSON.stringify({ models: s.ids, stream: true, messages: user("hi") }) });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const waiting = reader.read().catch(() => undefined);
    for (let t = Date.now(); s.calls.length < 2 && Date.now() - t < 3000; ) await sleep(5);
    expect(s.calls).toHaveLength(2);
    if (abort) ac.abort();
    await reader.cancel();
    await waiting;
    await sleep(1000);
    expect(s.calls[1]?.aborted).toBe(true);
    ac.abort();
  });

  it.each([false, true])("is charged for the answer it got, even when it stops reading at the finish chunk (%s)", async (stopAtFinish) => {
    const admin = "admin-token-for-tests";
    const p = uniqueProvider();
    const g = gateway({ ACCESS: "keys", ADMIN_TOKEN: admin, CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    gw = g;
    const { key } = await adminClient(g, admin).keys.create.mutate({ label: "tokens", quota: { tpd: 50 } });
    const codes: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { res, settle } = await send(g, "/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: `${p}/m1`, stream: true, messages: [{ role: "user", content: `Tell me about the river ${i} [[tokens=60]]` }] }),
      });
      codes.push(res.status);
      const reader = res.body?.getReader();
      let text = "";
      for (;;) {
        const r = await reader?.read();
        if (!r || r.done) break;
        text += new TextDecoder().decode(r.value);
        // A client loop that breaks on the finish chunk, as many do.
        if (stopAtFinish && text.includes('"finish_reason":"stop"')) {
          await reader?.cancel();
          break;
        }
      }
      await settle();
      await sleep(150); // the token charge goes out in a batch
    }
    // The first answer's 60 tokens spend the 50 a day: the second request is refused.
    expect(codes).toEqual([200, 429]);
  });
});

// IDLE_TIMEOUT_MS is 300 in tests.
describe("keep-alives and several choices after the commit", () => {
  it.each([
    ["SSE comments (OpenRouter's keep-alive)", ": OPENROUTER PROCESSING\n\n"],
    ["empty data: events (a proxy's keep-alive)", "data:\n\n"],
  ])("a pause longer than the idle timeout filled with %s is no stall", async (_name, keepAlive) => {
    const pause = Array.from({ length: 8 }, () => [{ wait: 100 }, keepAlive]).flat();
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }), ...pause, chunk({ content: " runs" }), chunk({}, "stop"), DONE]] }], { RESPONSE_TIMEOUT_MS: "5000" });
    const r = await streamChat(s.g, { model: s.ids[0], messages: user("hi") });
    expect(r.finishReasons).toEqual(["stop"]);
    expect(r.text).toBe("The river runs");
    expect(r.done).toBe(true);
  });

  it("keep-alives alone hold a committed stream open no longer than RESPONSE_TIMEOUT_MS: then it is a stall", async () => {
    const pause = Array.from({ length: 12 }, () => [{ wait: 100 }, ": OPENROUTER PROCESSING\n\n"]).flat();
    s = scriptedGateway([{ scripts: [[chunk({ role: "assistant", content: "The river" }), ...pause, chunk({ content: " runs" }), chunk({}, "stop"), DONE]] }], { RESPONSE_TIMEOUT_MS: "600" });
    const r = await streamChat(s.g, { model: s.ids[0], messages: user("hi") });
    expect(r.text).toBe("The river");
    expect(r.finishReasons).toEqual(["error"]);
    expect(r.done).toBe(false);
    expect((r.chunks.at(-1)?.error as { code?: string } | undefined)?.code).toBe("stream_stall");
  });

  it("n=2: a cut ends every choice still open with finish_reason error, not only the first", async () => {
    const two = (d0: Record<string, unknown>, d1: Record<string, unknown>): string =>
      `data: ${JSON.stringify({ id: "u", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta: d0, finish_reason: null }, { index: 1, delta: d1, finish_reason: null }] })}\n\n`;
    s = scriptedGateway([{ scripts: [[two({ role: "assistant", content: "a" }, { role: "assistant", content: "b" }), { drop: "Network connection lost." }]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], n: 2, messages: user("hi") });
    const last = r.chunks.at(-1) as { error?: unknown; choices: Array<{ index: number; finish_reason: string | null }> };
    expect(last.error).toBeDefined();
    expect(last.choices.map((c) => [c.index, c.finish_reason])).toEqual([[0, "error"], [1, "error"]]);
    expect(r.done).toBe(false);
  });

  it("n=2: [DONE] while a started choice never finished is no finished answer", async () => {
    const two = (d0: Record<string, unknown>, d1: Record<string, unknown>, f0: string | null = null): string =>
      `data: ${JSON.stringify({ id: "u", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta: d0, finish_reason: f0 }, { index: 1, delta: d1, finish_reason: null }] })}\n\n`;
    s = scriptedGateway([{ scripts: [[two({ role: "assistant", content: "a" }, { role: "assistant", content: "b" }), two({}, { content: " more" }, "stop"), DONE]] }]);
    const r = await streamChat(s.g, { model: s.ids[0], n: 2, messages: user("hi") });
    // choice 1 was cut off: the caller must not get [DONE] as if both answers were whole
    expect(r.done).toBe(false);
    expect(r.chunks.at(-1)?.error).toBeDefined();
  });
});

describe("a restart rescue", () => {
  it("a break while the model was only thinking is rescued by a model that answers", async () => {
    s = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", reasoning_content: "Let me think" }), chunk({ reasoning_content: " about it" }), { drop: "Network connection lost." }]] },
      { scripts: [[chunk({ role: "assistant", content: "Paris." }), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const r = await streamChat(s.g, { models: s.ids, messages: user("hi") });
    // The caller had no answer text yet, and another model answered in full.
    expect(r.chunks.some((c) => c.error !== undefined)).toBe(false);
    expect(r.text).toBe("Paris.");
    expect(r.finishReasons).toEqual(["stop"]);
    expect(r.done).toBe(true);
  });

  it("keeps the caller's connection alive with SSE comments while the rescue finds a model and replays what was sent", async () => {
    s = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", content: "The river" }), { drop: "Network connection lost." }]] },
      { scripts: [[{ wait: 250 }, chunk({ role: "assistant", content: "The river" }), { wait: 250 }, chunk({ content: " runs" }), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const r = await streamChat(s.g, { models: s.ids, messages: user("hi") });
    expect(r.text).toBe("The river runs");
    expect(r.finishReasons).toEqual(["stop"]);
    // IDLE_TIMEOUT_MS is 300: a comment every 150 ms of silence, none once the answer goes on.
    const comments = r.raw.split("\n").filter((l) => l === ": freeway is continuing the answer");
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(r.raw.lastIndexOf(": freeway")).toBeLessThan(r.raw.indexOf('" runs"'));
  });

  it("a restarted leg's opening {role, content: null} sends the caller no empty chunk mid-answer", async () => {
    s = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", content: "The river" }), { drop: "Network connection lost." }]] },
      { scripts: [[chunk({ role: "assistant", content: null }), chunk({ content: "The river runs" }), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const r = await streamChat(s.g, { models: s.ids, messages: user("hi") });
    expect(r.text).toBe("The river runs");
    expect(r.finishReasons).toEqual(["stop"]);
    const deltas = r.chunks.flatMap((c) => ((c.choices as Array<{ delta?: Record<string, unknown>; finish_reason?: string | null }>) ?? []).filter((x) => !x.finish_reason).map((x) => JSON.stringify(x.delta)));
    expect(deltas).not.toContain('{"content":null}');
  });

  it("a restarted answer does not repeat a refusal the caller already has", async () => {
    s = scriptedGateway([
      { scripts: [[chunk({ role: "assistant", refusal: "I can't" }), { drop: "Network connection lost." }]] },
      { scripts: [[chunk({ role: "assistant", refusal: "I can't" }), chunk({ refusal: " help." }), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const r = await streamChat(s.g, { models: s.ids, messages: user("hi") });
    const refusal = r.chunks.map((c) => (c.choices as Array<{ delta?: { refusal?: string } }>)?.[0]?.delta?.refusal ?? "").join("");
    expect(r.finishReasons).toEqual(["stop"]);
    expect(refusal).toBe("I can't help.");
  });

  it("a restarted answer does not repeat the logprobs of tokens the caller already has", async () => {
    const lp = (t: string): Record<string, unknown> => ({ content: [{ token: t, logprob: -0.1, bytes: null, top_logprobs: [] }] });
    const c = (delta: Record<string, unknown>, t: string): string =>
      `data: ${JSON.stringify({ id: "u", object: "chat.completion.chunk", created: 1, model: "x", choices: [{ index: 0, delta, logprobs: lp(t), finish_reason: null }] })}\n\n`;
    s = scriptedGateway([
      { scripts: [[c({ role: "assistant", content: "A" }, "A"), c({ content: "B" }, "B"), { drop: "Network connection lost." }]] },
      { scripts: [[c({ role: "assistant", content: "A" }, "A"), c({ content: "B" }, "B"), c({ content: "C" }, "C"), chunk({}, "stop"), DONE]], prefill: false },
    ]);
    const r = await streamChat(s.g, { models: s.ids, logprobs: true, messages: user("hi") });
    const tokens = r.chunks.flatMap((ch) => ((ch.choices as Array<{ logprobs?: { content?: Array<{ token: string }> } | null }>)?.[0]?.logprobs?.content ?? []).map((x) => x.token));
    expect(r.text).toBe("ABC");
    expect(tokens).toEqual(["A", "B", "C"]);
  });

});
