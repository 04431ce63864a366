// Request coalescing: identical concurrent deterministic non-streaming requests share one upstream call.

import { afterEach, describe, expect, it } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { hangUpAfter, send, sleep, streamChat, user } from "../helpers/integration.ts";
import { canonicalAnswer } from "../simulator/index.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const PROMPT = "What is the capital of France? [[tokens=8]]";

function setup(settings: Record<string, string> = {}): { g: Gateway; model: string } {
  const p = uniqueProvider("co");
  gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m"]), ...settings }, { builtins: false });
  // Answers take a moment, so all the requests arrive while the first is in flight.
  gw.sim.config({ latencyMs: 200 });
  return { g: gw, model: `${p}/m` };
}

async function many(g: Gateway, n: number, body: Record<string, unknown>, headers?: (i: number) => Record<string, string>): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => g.chat(body, headers?.(i))));
}

describe("request coalescing", () => {
  it("serves 50 identical concurrent requests at temperature 0 with one upstream call", async () => {
    const { g, model } = setup();
    const res = await many(g, 50, { model, temperature: 0, messages: user(PROMPT) });
    expect(res.map((r) => r.status)).toEqual(Array<number>(50).fill(200));
    const bodies = (await Promise.all(res.map((r) => r.json()))) as Array<{ id: string; choices: Array<{ message: { content: string } }>; usage: { total_tokens: number } }>;
    for (const b of bodies) expect(b.choices[0]?.message.content).toBe(canonicalAnswer(PROMPT, 8));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(g.sim.log().length).toBe(1);
    // Each caller keeps its own request id; the followers are marked.
    expect(new Set(res.map((r) => r.headers.get("x-request-id"))).size).toBe(50);
    expect(res.filter((r) => r.headers.get("x-freeway-coalesced") === "true").length).toBe(49);
  });

  it("shares with a fixed seed too", async () => {
    const { g, model } = setup();
    await many(g, 10, { model, seed: 7, temperature: 0.8, messages: user(PROMPT) });
    expect(g.sim.log().length).toBe(1);
  });

  it("does not share answers that may differ, streams, or different requests", async () => {
    const { g, model } = setup();
    await many(g, 5, { model, temperature: 0.7, messages: user(PROMPT) });
    expect(g.sim.log().length).toBe(5);
    await many(g, 5, { model, messages: user(PROMPT) }); // no temperature: the provider's default, not 0
    expect(g.sim.log().length).toBe(10);
    await Promise.all(Array.from({ length: 3 }, () => streamChat(g, { model, temperature: 0, messages: user(PROMPT) })));
    expect(g.sim.log().length).toBe(13);
    await Promise.all(Array.from({ length: 3 }, (_, i) => g.chat({ model, temperature: 0, messages: user(`${PROMPT} ${i}`) })));
    expect(g.sim.log().length).toBe(16);
  });

  it("does not share answers between gateway keys", async () => {
    const ADMIN = "admin-token-for-tests";
    const { g, model } = setup({ ACCESS: "keys", ADMIN_TOKEN: ADMIN });
    const admin = adminClient(g, ADMIN);
    const a = (await admin.keys.create.mutate({ label: "a" })).key;
    const b = (await admin.keys.create.mutate({ label: "b" })).key;
    const res = await many(g, 20, { model, temperature: 0, messages: user(PROMPT) }, (i) => ({ authorization: `Bearer ${i % 2 ? a : b}` }));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(g.sim.log().length).toBe(2);
  });

  it("shares no answer between two anonymous clients, placeholder token and all", async () => {
    const { g, model } = setup();
    const body = { model, temperature: 0, messages: user(PROMPT) };
    const [a, b] = await Promise.all([
      g.chat(body, { "cf-connecting-ip": "198.51.100.71", authorization: "Bearer EMPTY" }),
      g.chat(body, { "cf-connecting-ip": "203.0.113.71", authorization: "Bearer EMPTY" }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // Two clients: an answer each, and neither told of the other's question.
    expect([a.headers.get("x-freeway-coalesced"), b.headers.get("x-freeway-coalesced")]).toEqual([null, null]);
    expect(g.sim.log()).toHaveLength(2);
  });

  it("keeps the shared call going for the others when the first caller hangs up: one upstream call, nothing wasted", async () => {
    const { g, model } = setup({ RESPONSE_TIMEOUT_MS: "5000", HEDGE_AFTER_MS: "0" });
    g.sim.config({ latencyMs: 1000 });
    const body = { model, temperature: 0, messages: user(PROMPT) };
    const leader = new AbortController();
    const first = send(g, "/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: leader.signal });
    await sleep(50);
    const t0 = Date.now();
    const follower = g.chat(body);
    await sleep(400);
    leader.abort();
    const res = await follower;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-coalesced")).toBe("true");
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe(canonicalAnswer(PROMPT, 8));
    // The follower waited for the call already under way, not for a second one started when the leader left.
    expect(Date.now() - t0).toBeLessThan(1300);
    expect(g.sim.log().map((e) => e.aborted ?? false)).toEqual([false]);
    await (await first.catch(() => null))?.settle();
  });

  it("still stops the shared call once every caller waiting for it has hung up", async () => {
    const { g, model } = setup({ RESPONSE_TIMEOUT_MS: "5000", HEDGE_AFTER_MS: "0" });
    g.sim.config({ latencyMs: 1000 });
    const body = { model, temperature: 0, messages: user(PROMPT) };
    await Promise.all([hangUpAfter(g, body, 400), sleep(50).then(() => hangUpAfter(g, body, 500))]);
    expect(g.sim.log().map((e) => e.aborted ?? false)).toEqual([true]);
  });
});
