// Concurrency on the production bundle (plain workerd, as `npm run bench` and `npm run serve` run it): steady
// streamed and embedding traffic, busy enough that the gateway's isolate holds credit and requests wait for credit
// another one asked for (worker/credits.ts). Every request must complete, and workerd must log no uncaught
// exception (a request going on in another request's context shows up as one).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningFreeway, startFreeway } from "../../scripts/lib/chaos/freeway.ts";
import { canonicalAnswer } from "../simulator/answer.ts";
import { startSimulatorServer, type SimulatorServer } from "../simulator/server.ts";
import { Simulator } from "../simulator/simulator.ts";

let sim: SimulatorServer;
let gw: RunningFreeway;

beforeAll(async () => {
  sim = await startSimulatorServer({ port: 0, sim: new Simulator({ config: { limits: "off", latencyMs: 0, tokenIntervalMs: 0 } }) });
  // One model whose per-minute limit keeps its credit small: requests often find it spent and wait for more.
  const custom = [
    {
      id: "busy",
      baseUrl: `${sim.url}/openai/v1`,
      apiKey: "sim",
      models: [
        { upstream: "m1", limits: { rpm: 3000 } },
        { upstream: "bench-embed", kind: "embedding", dimensions: 1536, maxBatch: 2048 },
      ],
    },
  ];
  gw = await startFreeway(sim.url, { CUSTOM_PROVIDERS: JSON.stringify(custom) });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await sim?.close();
});

/** One streamed chat request read to its end: the text and whether it closed with [DONE]. */
async function streamed(prompt: string): Promise<{ status: number; text: string; done: boolean }> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "busy/m1", stream: true, messages: [{ role: "user", content: prompt }] }),
  });
  let text = "";
  let done = false;
  for (const line of (await res.text()).split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6).trim();
    if (data === "[DONE]") done = true;
    else text += (JSON.parse(data) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? "";
  }
  return { status: res.status, text, done };
}

describe("the production bundle under concurrent streams", () => {
  it("serves 32 streaming and 8 embedding callers back to back for 4 s, each request to the end, with no uncaught exception", async () => {
    const until = Date.now() + 4000;
    let served = 0;
    const caller = async (c: number): Promise<void> => {
      for (let i = 0; Date.now() < until; i++) {
        const prompt = `caller ${c} request ${i}: say something`;
        const r = await streamed(prompt);
        expect(r).toMatchObject({ status: 200, done: true });
        expect(r.text).toBe(canonicalAnswer(prompt, 12));
        served++;
      }
    };
    // Embedding callers alongside, each reading a large body after its admission.
    const embedder = async (c: number): Promise<void> => {
      const input = Array.from({ length: 100 }, (_, i) => `caller ${c} text ${i}`);
      while (Date.now() < until) {
        const res = await fetch(`${gw.baseURL}/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "busy/bench-embed", input }),
        });
        const body = (await res.json()) as { data?: unknown[] };
        expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
        expect(body.data).toHaveLength(100);
      }
    };
    await Promise.all([...Array.from({ length: 32 }, (_, c) => caller(c)), ...Array.from({ length: 8 }, (_, c) => embedder(c))]);
    expect(served).toBeGreaterThan(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(gw.output()).not.toMatch(/Uncaught|Cannot perform I\/O/);
  }, 120_000);
});
