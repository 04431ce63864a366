// Failures before the first content chunk (the commit window) fail over invisibly: the caller sees one clean
// stream from the next model, chunk by chunk, with the full canonical answer.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { contentReads, customProviders, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer, type SimFault } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const PROMPT = "Describe the harbor [[tokens=24]]";

/** Two providers (a transient failure skips a whole provider for the request), the faulty one listed first. */
function setup(): { models: string[]; next: string } {
  const a = uniqueProvider("a");
  const b = uniqueProvider("b");
  gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["ma"] }, { id: b, models: ["mb"] }]) }, { builtins: false });
  return { models: [`${a}/ma`, `${b}/mb`], next: `${b}/mb` };
}

const BEFORE_COMMIT: Array<[string, SimFault, number]> = [
  ["a 429 with Retry-After", { kind: "rate_limit", retryAfter: 1 }, 429],
  ["a 500", { kind: "status", status: 500 }, 500],
  ["a 503", { kind: "status", status: 503 }, 503],
  ["a connection reset before the head", { kind: "reset" }, 0],
  ["no response head (hang, first-byte timeout)", { kind: "hang" }, 0],
  ["a first token slower than FIRST_TOKEN_TIMEOUT_MS", { kind: "slow", firstTokenMs: 2000 }, 200],
  ["a reset at 0 tokens", { kind: "cut", afterTokens: 0, clean: false }, 200],
  ["a clean close at 0 tokens", { kind: "cut", afterTokens: 0, clean: true }, 200],
  ["a stall before the first token", { kind: "stall", afterTokens: 0 }, 200],
  ["a malformed chunk before the first token", { kind: "malformed", afterTokens: 0 }, 200],
  ["an error chunk before the first token", { kind: "error_chunk", afterTokens: 0 }, 200],
];

describe("failures before the commit", () => {
  it.each(BEFORE_COMMIT)("fail over invisibly after %s", async (_name, fault, upstreamStatus) => {
    const { models, next } = setup();
    const g = gw as Gateway;
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault });
    const s = await streamChat(g, { models, messages: user(PROMPT) });

    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("x-freeway-model")).toBe(next);
    expect(s.res.headers.get("x-freeway-attempts")).toBe("2");
    expect(contentReads(s)).toBeGreaterThan(1);
    expect(s.text).toBe(canonicalAnswer(PROMPT, 24));
    expect(s.finishReasons).toEqual(["stop"]);
    expect(s.done).toBe(true);
    // Nothing of the failed attempt leaks into the stream: every chunk names the model that answered.
    expect(s.chunks.every((c) => c.model === next && c.error === undefined)).toBe(true);

    expect(g.sim.log().map((e) => [e.model, e.status])).toEqual([
      ["ma", upstreamStatus],
      ["mb", 200],
    ]);
    expect(g.sim.log()[0]?.fault).toBe(fault.kind);
  });

  it.each([
    ["cut", { kind: "cut", afterTokens: 5, clean: false }],
    ["stall", { kind: "stall", afterTokens: 5 }],
    ["malformed", { kind: "malformed", afterTokens: 5 }],
    ["slow", { kind: "slow", firstTokenMs: 2000 }],
  ] as Array<[string, SimFault]>)("fails over invisibly when a non-streamed body is %s", async (_name, fault) => {
    const { models, next } = setup();
    const g = gw as Gateway;
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault });
    const res = await g.chat({ models, messages: user(PROMPT) });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(next);
    expect(res.headers.get("x-freeway-attempts")).toBe("2");
    const body = (await res.json()) as { model: string; choices: Array<{ message: { content: string }; finish_reason: string }> };
    expect(body.model).toBe(next);
    expect(body.choices[0]?.message.content).toBe(canonicalAnswer(PROMPT, 24));
    expect(body.choices[0]?.finish_reason).toBe("stop");
    expect(g.sim.log().map((e) => e.model)).toEqual(["ma", "mb"]);
  });
});
