// Mid-stream rescue: a committed stream that breaks is continued on another candidate, so the caller receives
// one complete answer — from the text already sent where the fallback takes a prefill, from a restart whose
// repetition is suppressed where it does not — and an explicit error event when it cannot be done truthfully.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer, type SimFault } from "../simulator/index.ts";
import { ledgerName } from "../../worker/ledger.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const PROMPT = "Tell me about the river [[tokens=60]]";
const CUT: SimFault = { kind: "cut", afterTokens: 40 };

interface Setup {
  g: Gateway;
  /** public ids: the primary first, then the fallbacks in the order given */
  ids: string[];
}

/** A primary (asked first: `models` order) and fallbacks, each its own provider; `prefill` per fallback. */
function setup(fallbacks: Array<{ prefill: boolean }>): Setup {
  const primary = uniqueProvider("p");
  const rest = fallbacks.map((f, i) => ({ id: uniqueProvider(`f${i}`), models: [`m${i + 1}`], prefill: f.prefill }));
  const list = [{ id: primary, models: ["m0"], prefill: false }, ...rest];
  gw = gateway({ CUSTOM_PROVIDERS: customProviders(list) }, { builtins: false });
  return { g: gw, ids: list.map((p, i) => `${p.id}/m${i}`) };
}

type Chunk = { model?: string; choices?: Array<{ finish_reason?: string | null; delta?: Record<string, unknown> }>; usage?: Record<string, number>; error?: { code?: string; message?: string }; freeway?: { route: Array<Record<string, unknown>> } };

function lastMessage(body: unknown): Record<string, unknown> | undefined {
  const messages = (body as { messages?: Array<Record<string, unknown>> }).messages ?? [];
  return messages[messages.length - 1];
}

describe("mid-stream rescue", () => {
  it("continues a stream cut after 40 of 60 tokens from the text already sent, on a model that takes a prefill", async () => {
    const { g, ids } = setup([{ prefill: true }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT), stream_options: { include_usage: true }, freeway: { trace: true } });

    expect(s.res.status).toBe(200);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.done).toBe(true);
    const chunks = s.chunks as Chunk[];
    expect(chunks.some((c) => c.error !== undefined)).toBe(false);
    // One answer: one id, the role once.
    expect(new Set(chunks.map((c) => (c as { id?: string }).id)).size).toBe(1);
    expect(chunks.filter((c) => c.choices?.[0]?.delta?.role !== undefined)).toHaveLength(1);

    // The fallback was asked to continue exactly the 40 tokens the caller had.
    const log = g.sim.log();
    expect(log.map((e) => [e.model, e.status])).toEqual([
      ["m0", 200],
      ["m1", 200],
    ]);
    expect(lastMessage(log[1]?.body)).toEqual({ role: "assistant", content: canonicalAnswer(PROMPT, 40) });
    expect(log[1]?.tokensSent).toBe(20);

    // What answered is named: the chunks after the rescue and the usage are the fallback's.
    const finish = chunks.find((c) => c.choices?.[0]?.finish_reason === "stop");
    expect(finish?.model).toBe(ids[1]);
    const usage = chunks.find((c) => c.usage);
    expect(usage?.model).toBe(ids[1]);
    expect(usage?.usage?.completion_tokens).toBe(20);
    const route = chunks.find((c) => c.freeway !== undefined)?.freeway?.route ?? [];
    expect(route).toEqual([
      expect.objectContaining({ model: ids[0], event: "ok" }),
      expect.objectContaining({ model: ids[0], event: "broke", decision: `rescued by ${ids[1]} (prefill)` }),
      expect.objectContaining({ model: ids[1], event: "ok" }),
    ]);
  });

  it("restarts on a model without prefill and passes on only what the caller does not have yet", async () => {
    const { g, ids } = setup([{ prefill: false }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.done).toBe(true);
    const log = g.sim.log();
    expect(log.map((e) => e.model)).toEqual(["m0", "m1"]);
    // The restart is the caller's own request, no prefill; it regenerated all 60 tokens.
    expect(lastMessage(log[1]?.body)).toEqual({ role: "user", content: PROMPT });
    expect(log[1]?.tokensSent).toBe(60);
  });

  it.each<[string, SimFault]>([
    ["a stall", { kind: "stall", afterTokens: 40 }],
    ["a malformed chunk", { kind: "malformed", afterTokens: 40 }],
    ["a mid-stream provider error", { kind: "error_chunk", afterTokens: 40 }],
    ["a clean close without finish", { kind: "cut", afterTokens: 40, clean: true }],
  ])("rescues %s after the commit the same way", async (_name, fault) => {
    const { g, ids } = setup([{ prefill: true }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.done).toBe(true);
  });

  it("ends with an explicit error instead of splicing when the restarted answer differs", async () => {
    const { g, ids } = setup([{ prefill: false }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "diverge", afterTokens: 10 } });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.res.status).toBe(200);
    // Exactly what the primary sent; nothing of the different answer.
    expect(s.text).toBe(canonicalAnswer(PROMPT, 40));
    expect(s.finishReasons).toEqual(["error"]);
    expect(s.done).toBe(false);
    const last = s.chunks[s.chunks.length - 1] as Chunk;
    expect(last.error?.code).toBe("stream_diverged");
    // The fallback's stream was stopped once it diverged.
    expect(g.sim.log()[1]?.aborted).toBe(true);
  });

  it("never sends a prefill to a model that does not take one, and skips a fallback that rejects its prefill", async () => {
    const { g, ids } = setup([{ prefill: true }, { prefill: false }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    g.sim.addRule({ provider: "openai", model: "m1", fault: { kind: "reject_prefill" } });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    expect(s.finishReasons).toEqual(["stop"]);
    const log = g.sim.log();
    expect(log.map((e) => [e.model, e.status])).toEqual([
      ["m0", 200],
      ["m1", 400],
      ["m2", 200],
    ]);
    expect(lastMessage(log[1]?.body)?.role).toBe("assistant");
    expect(lastMessage(log[2]?.body)?.role).toBe("user");
  });

  it("shows the original failure, not the fallback's rejection, when nothing can rescue the answer", async () => {
    const { g, ids } = setup([{ prefill: true }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    g.sim.addRule({ provider: "openai", model: "m1", fault: { kind: "reject_prefill" } });
    // The restart round finds nothing either: the fallback's one chance was the prefill.
    g.sim.addRule({ provider: "openai", model: "m1", fault: { kind: "status", status: 503 } });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT) });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 40));
    expect(s.finishReasons).toEqual(["error"]);
    const last = s.chunks[s.chunks.length - 1] as Chunk;
    expect(last.error?.code).toBe("stream_cut");
    expect(last.error?.message).toContain(ids[0]);
    expect(last.error?.message).not.toMatch(/prefill/i);
  });

  it("holds a tool call until it is whole, so a cut inside it fails over without a half call", async () => {
    const { g, ids } = setup([{ prefill: false }]);
    // Token 1 is the call's head (id, name), the arguments follow in fragments: cut after the first fragment.
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: { kind: "cut", afterTokens: 2 } });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }];
    const s = await streamChat(g, { models: ids, tools, messages: user("Weather in Paris?") });
    expect(s.res.status).toBe(200);
    const calls = (s.chunks as Chunk[]).flatMap((c) => (c.choices?.[0]?.delta?.tool_calls as Array<Record<string, unknown>> | undefined) ?? []);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ index: 0, type: "function", function: { name: "get_weather" } });
    expect(JSON.parse((calls[0]?.function as { arguments: string }).arguments)).toEqual({ city: "Paris" });
    expect(s.finishReasons).toEqual(["tool_calls"]);
    expect(s.done).toBe(true);
    expect(g.sim.log().map((e) => e.model)).toEqual(["m0", "m1"]);
  });

  it("logs the broken attempt as failed and the rescue as the answer", async () => {
    const { g, ids } = setup([{ prefill: true }]);
    g.sim.addRule({ provider: "openai", model: "m0", times: 1, fault: CUT });
    const s = await streamChat(g, { models: ids, messages: user(PROMPT), stream_options: { include_usage: true } });
    expect(s.text).toBe(canonicalAnswer(PROMPT, 60));
    await new Promise((r) => setTimeout(r, 50)); // the log's batch goes after LOG_FLUSH_MS
    const rows = await g.env.REQUEST_LEDGER.getByName(ledgerName(Date.now())).requests({ since: Date.now() - 60_000 });
    const record = rows.find((r) => r.id === s.res.headers.get("x-request-id"));
    expect(record).toMatchObject({ model: ids[1], status: 200, error: null, tokensOut: 20 });
    expect(record?.attempts).toEqual([
      { model: ids[0], provider: ids[0]?.split("/")[0], outcome: "stream_cut" },
      { model: ids[1], provider: ids[1]?.split("/")[0], outcome: "ok" },
    ]);
  });
});
