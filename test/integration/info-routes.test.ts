// GET /v1/models, GET /v1/routing/status and GET /health: shapes and live state.

import { afterEach, describe, expect, it } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { modelStatus, routingStatus, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

interface ModelEntry {
  id: string;
  object: string;
  created: number;
  owned_by: string;
  freeway: {
    kind: string;
    hosts?: string[];
    capabilities?: { tools: boolean; json_object: boolean; json_schema: boolean; vision: boolean; reasoning: boolean };
    context_length?: number;
    configured?: boolean;
    state?: string;
  };
}

async function listModels(g: Gateway, query = ""): Promise<ModelEntry[]> {
  const res = await g.fetch(`/v1/models${query}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { object: string; data: ModelEntry[] };
  expect(body.object).toBe("list");
  return body.data;
}

describe("GET /v1/models", () => {
  it("lists presets, family aliases and every configured model in the OpenAI list shape", async () => {
    gw = gateway();
    const data = await listModels(gw);
    for (const m of data) {
      expect(typeof m.id).toBe("string");
      expect(m.object).toBe("model");
      expect(typeof m.owned_by).toBe("string");
      expect(typeof m.created).toBe("number");
    }
    const ids = new Set(data.map((m) => m.id));
    expect(ids.size).toBe(data.length);
    for (const preset of ["auto", "auto:fast", "auto:smart", "auto:reasoning", "auto:vision", "auto:tools", "auto:long"]) {
      expect(data.find((m) => m.id === preset)?.freeway.kind).toBe("preset");
    }
    const family = data.find((m) => m.id === "llama-3.3-70b");
    expect(family?.freeway.kind).toBe("family");
    expect(family?.freeway.hosts).toContain("groq/llama-3.3-70b-versatile");
    for (const host of family?.freeway.hosts ?? []) expect(ids.has(host)).toBe(true);

    const groq = data.find((m) => m.id === "groq/llama-3.3-70b-versatile");
    expect(groq?.owned_by).toBe("groq");
    expect(groq?.freeway).toMatchObject({
      kind: "chat",
      context_length: 131_072,
      capabilities: { tools: true, json_object: true, json_schema: false, vision: false, reasoning: false },
      configured: true,
      state: "ready",
    });
    const chat = data.filter((m) => m.freeway.kind === "chat");
    expect(chat.length).toBeGreaterThan(50);
    for (const m of chat) expect(m.freeway.capabilities).toBeDefined();
  });

  it("lists only configured providers' models, and all of them with ?all=1", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1", { upstream: "m2", vision: true }]) }, { builtins: false });
    const configured = await listModels(gw);
    const models = configured.filter((m) => m.freeway.kind === "chat").map((m) => m.id);
    expect(models.sort()).toEqual([`${p}/m1`, `${p}/m2`]);
    expect(configured.find((m) => m.id === `${p}/m2`)?.freeway.capabilities?.vision).toBe(true);

    const all = await listModels(gw, "?all=1");
    const groq = all.find((m) => m.id === "groq/llama-3.3-70b-versatile");
    expect(groq?.freeway.configured).toBe(false);
  });
});

describe("GET /v1/routing/status", () => {
  it("shows every provider and model with its state, cooldown and remaining quota", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 30, rpd: 100 } }, "m2"]) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "m2", times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
    expect((await gw.chat({ model: `${p}/m1`, messages: user("one") })).status).toBe(200);
    await gw.chat({ model: `${p}/m2`, messages: user("two") });

    const s = await routingStatus(gw);
    expect(s.object).toBe("routing.status");
    const provider = s.providers.find((x) => x.id === p);
    expect(provider).toMatchObject({ configured: true, custom: true });
    expect(s.providers.find((x) => x.id === "groq")).toMatchObject({ configured: false });

    const m1 = modelStatus(s, `${p}/m1`);
    expect(m1).toMatchObject({ state: "ready", healthy: true, cooldown_until: null });
    expect(m1.remaining).toMatchObject({ rpm: 29, rpd: 99 });

    const m2 = modelStatus(s, `${p}/m2`);
    expect(m2).toMatchObject({ state: "cooling_down", healthy: false });
    const until = Date.parse(m2.cooldown_until ?? "");
    expect(Math.abs(until - (Date.now() + 30_000))).toBeLessThan(2000);
    expect(typeof m2.cooldown_reason).toBe("string");
  });

  it("gives every model entry the same fields, asked or not", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["used", "unused"]) }, { builtins: false });
    await gw.chat({ model: `${p}/used`, messages: user("hi") });
    const s = await routingStatus(gw);
    const used = modelStatus(s, `${p}/used`);
    const unused = modelStatus(s, `${p}/unused`);
    expect(Object.keys(unused).sort()).toEqual(Object.keys(used).sort());
  });
});

describe("GET /health", () => {
  it("reports liveness and the configured providers", async () => {
    gw = gateway();
    const res = await gw.fetch("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; providers: string[]; models: number; problems: string[] };
    expect(body.status).toBe("ok");
    expect(body.providers.sort()).toEqual(["cerebras", "gemini", "groq", "nvidia", "openrouter", "sambanova", "voyage", "workers-ai"]);
    expect(body.models).toBeGreaterThan(50);
    expect(body.problems).toEqual([]);
  });

  it("says when no provider is configured and names bad CUSTOM_PROVIDERS settings", async () => {
    gw = gateway({ CUSTOM_PROVIDERS: '[{"id": "Bad Id", "baseUrl": "x", "models": []}]' }, { builtins: false });
    const body = (await (await gw.fetch("/health")).json()) as { status: string; providers: string[]; problems: string[] };
    expect(body.status).toBe("no_providers");
    expect(body.providers).toEqual([]);
    expect(body.problems.length).toBe(1);
    expect(body.problems[0]).toContain("CUSTOM_PROVIDERS[0].id");
  });

  it("leaves out a custom model whose counts are no whole numbers (a batch of 0 would never end), and says why", async () => {
    const models = [
      { upstream: "zero", kind: "embedding", dimensions: 1536, maxBatch: 0 },
      { upstream: "half", kind: "embedding", dimensions: 1536, maxBatch: 0.5 },
      { upstream: "words", context: "big" },
      { upstream: "minus", limits: { rpm: -1 } },
      { upstream: "fine", kind: "embedding", dimensions: 1536, maxBatch: 4 },
    ];
    const [odd] = JSON.parse(customProvider("odd", models)) as Array<Record<string, unknown>>;
    gw = gateway({ CUSTOM_PROVIDERS: JSON.stringify([{ ...odd, limits: { rpd: "lots" } }]) }, { builtins: false });
    const body = (await (await gw.fetch("/health")).json()) as { problems: string[] };
    expect(body.problems).toEqual([
      "CUSTOM_PROVIDERS[0].limits.rpd must be a whole number of at least 1",
      'CUSTOM_PROVIDERS[0] model "zero": maxBatch must be a whole number of at least 1 (the model is left out)',
      'CUSTOM_PROVIDERS[0] model "half": maxBatch must be a whole number of at least 1 (the model is left out)',
      'CUSTOM_PROVIDERS[0] model "words": context must be a whole number of at least 1 (the model is left out)',
      'CUSTOM_PROVIDERS[0] model "minus": limits.rpm must be a whole number of at least 1 (the model is left out)',
    ]);
    // The one left is served; asking for a left-out one is an unknown model, not a request that never ends.
    const ok = await gw.fetch("/v1/embeddings", { method: "POST", body: JSON.stringify({ model: "odd/fine", input: ["a", "b", "c"] }) });
    expect(ok.status).toBe(200);
    const zero = await gw.fetch("/v1/embeddings", { method: "POST", body: JSON.stringify({ model: "odd/zero", input: ["a"] }) });
    expect(zero.status).toBe(400);
  });

  it("names settings it cannot use and what applies instead, without repeating a base URL", async () => {
    gw = gateway({
      ACCESS: "Open",
      TOTAL_TIMEOUT_MS: "abc",
      ANON_RPM: "-5",
      LOG_RETENTION_DAYS: "0",
      DAILY_PACING: "no",
      GROQ_BASE_URL: "not a url with-secret-part",
      HEDGE_AFTER_MS: "0",
    });
    const body = (await (await gw.fetch("/health")).json()) as { problems: string[] };
    expect(body.problems).toEqual([
      "TOTAL_TIMEOUT_MS is 'abc', not a number from 1 up: the default 120000 applies",
      "LOG_RETENTION_DAYS is '0', not a number from 1 up: the default 7 applies",
      "ANON_RPM is '-5', not a positive number: the default applies",
      'ACCESS is \'Open\', none of "keys", "open": the gateway stays closed ("keys")',
      'DAILY_PACING is \'no\', none of "on", "off": the default applies',
      "GROQ_BASE_URL is not an http(s) URL: every call to Groq will fail",
    ]);
    expect(JSON.stringify(body)).not.toContain("with-secret-part");
  });
});
