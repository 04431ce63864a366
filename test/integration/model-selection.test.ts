// Resolving `model` / `models` into candidates and filtering them by what the request needs.

import { afterEach, describe, expect, it } from "vitest";
import { gateway, SIM_ORIGIN, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

const TINY_PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/**
 * Provider `a`: a plain text model, a vision model and a json_schema-less model without tools;
 * provider `b`: a second host of family "fam-x".
 */
function setup(): { a: string; b: string; g: Gateway } {
  const a = uniqueProvider("a");
  const b = uniqueProvider("b");
  gw = gateway(
    {
      CUSTOM_PROVIDERS: customProviders([
        {
          id: a,
          models: [
            { upstream: "text", family: "fam-x", tools: true, vision: false, jsonSchema: true },
            { upstream: "eyes", vision: true, tools: false, jsonSchema: false },
            { upstream: "plain", tools: false, jsonSchema: false, vision: false },
          ],
        },
        { id: b, models: [{ upstream: "text-b", family: "fam-x" }] },
      ]),
    },
    { builtins: false },
  );
  return { a, b, g: gw };
}

async function servedBy(g: Gateway, body: Record<string, unknown>, times = 8): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < times; i++) {
    const res = await g.chat({ messages: user(`question ${i}`), ...body });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { model: string };
    expect(json.model).toBe(res.headers.get("x-freeway-model"));
    out.add(json.model);
  }
  return out;
}

describe("model names", () => {
  it("answers `auto` from a configured chat model", async () => {
    const { a, b, g } = setup();
    const served = await servedBy(g, { model: "auto" });
    for (const m of served) expect([`${a}/text`, `${a}/eyes`, `${a}/plain`, `${b}/text-b`]).toContain(m);
  });

  it("keeps `auto:vision` to vision models", async () => {
    const { a, g } = setup();
    expect(await servedBy(g, { model: "auto:vision" })).toEqual(new Set([`${a}/eyes`]));
  });

  it("answers an exact provider/model id from that model only", async () => {
    const { a, g } = setup();
    expect(await servedBy(g, { model: `${a}/plain` })).toEqual(new Set([`${a}/plain`]));
  });

  it("answers a family alias from one of its hosts", async () => {
    const { a, b, g } = setup();
    const served = await servedBy(g, { model: "fam-x" });
    for (const m of served) expect([`${a}/text`, `${b}/text-b`]).toContain(m);
  });

  it("prefers the first entry of an OpenRouter-style `models` list and uses the second when the first fails", async () => {
    const { a, b, g } = setup();
    expect(await servedBy(g, { models: [`${b}/text-b`, `${a}/plain`] }, 4)).toEqual(new Set([`${b}/text-b`]));
    g.sim.addRule({ provider: "openai", model: "text-b", times: 1, fault: { kind: "status", status: 500 } });
    const res = await g.chat({ models: [`${b}/text-b`, `${a}/plain`], messages: user("fail the first") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(`${a}/plain`);
    expect(res.headers.get("x-freeway-attempts")).toBe("2");
  });

  it("answers 400 model_not_found naming an unknown model, sending nothing upstream", async () => {
    const { g } = setup();
    const e = await expectErrorEnvelope(await g.chat({ model: "no-such-model-xyz", messages: user("hi") }), 400);
    expect(e.code).toBe("model_not_found");
    expect(e.param).toBe("model");
    expect(e.message).toContain("no-such-model-xyz");
    const e2 = await expectErrorEnvelope(await g.chat({ models: ["auto", "nope/never"], messages: user("hi") }), 400);
    expect(e2.code).toBe("model_not_found");
    expect(e2.message).toContain("nope/never");
    expect(g.sim.log()).toEqual([]);
  });

  it("answers 400 for a model whose provider is not configured, saying which key is missing", async () => {
    const { g } = setup();
    const e = await expectErrorEnvelope(await g.chat({ model: "groq/llama-3.3-70b-versatile", messages: user("hi") }), 400);
    expect(e.param).toBe("model");
    expect(e.message).toContain("GROQ_API_KEY");
    expect(g.sim.log()).toEqual([]);
  });
});

describe("capability filtering", () => {
  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } } }];

  it("sends requests with tools only to tools-capable models", async () => {
    const { a, b, g } = setup();
    const served = await servedBy(g, { model: "auto", tools });
    for (const m of served) expect([`${a}/text`, `${b}/text-b`]).toContain(m);
  });

  it("sends requests with image parts only to vision models", async () => {
    const { a, g } = setup();
    const messages = [{ role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image_url", image_url: { url: TINY_PNG } }] }];
    expect(await servedBy(g, { model: "auto", messages })).toEqual(new Set([`${a}/eyes`]));
  });

  it("sends response_format json_schema only to models that support it", async () => {
    const { a, b, g } = setup();
    const response_format = { type: "json_schema", json_schema: { name: "city", schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } };
    const served = await servedBy(g, { model: "auto", response_format });
    for (const m of served) expect([`${a}/text`, `${b}/text-b`]).toContain(m);
    const res = await g.chat({ model: "auto", response_format, messages: user("which city?") });
    const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    expect(JSON.parse(body.choices[0]?.message.content ?? "")).toEqual({ city: "Paris" });
  });

  it("refuses an exact model that lacks a needed capability with a 400 saying why", async () => {
    const { a, g } = setup();
    const e = await expectErrorEnvelope(await g.chat({ model: `${a}/plain`, tools, messages: user("hi") }), 400);
    expect(e.message).toContain("does not support tools");
    expect(g.sim.log()).toEqual([]);
  });

  it("answers 400 context_length_exceeded when the prompt is larger than every context window", async () => {
    const p = uniqueProvider();
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders([{ id: p, models: [{ upstream: "s1", context: 1000 }, { upstream: "s2", context: 2000 }] }]) },
      { builtins: false },
    );
    const e = await expectErrorEnvelope(await gw.chat({ model: "auto", messages: user("word ".repeat(4000)) }), 400);
    expect(e.code).toBe("context_length_exceeded");
    expect(e.param).toBe("messages");
    expect(gw.sim.log()).toEqual([]);
  });

  it("serves a short prompt with a max_tokens above the model's output limit, capping it", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: p, models: [{ upstream: "m1", context: 32_768, maxOutput: 4096 }] }]) }, { builtins: false });
    const res = await gw.chat({ model: "auto", max_tokens: 50_000, messages: user("hi") });
    expect(res.status).toBe(200);
    expect((gw.sim.log()[0]?.body as { max_tokens: number }).max_tokens).toBe(4096);
  });
});

describe("a wildcard custom provider", () => {
  it("passes any model name through as its own actor, under the provider's limits", async () => {
    const p = uniqueProvider("w");
    gw = gateway(
      { CUSTOM_PROVIDERS: JSON.stringify([{ id: p, baseUrl: `${SIM_ORIGIN}/openai/v1`, apiKey: "sim-key", models: "*", limits: { rpm: 2 } }]) },
      { builtins: false },
    );
    const g = gw;
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await g.chat({ model: `${p}/any-name:7b`, messages: user(`hello ${i}`) })).status);
    // Two a minute, as the provider's limits say; another name is another actor with its own two.
    expect(codes).toEqual([200, 200, 503]);
    expect((await g.chat({ model: `${p}/other`, messages: user("hello") })).status).toBe(200);
    expect(g.sim.log().map((e) => e.model)).toEqual(["any-name:7b", "any-name:7b", "other"]);
  });
});

describe("Groq's compound systems", () => {
  const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }];

  it("serve a plain chat by exact id, under their upstream name, and are never given caller tools", async () => {
    gw = gateway();
    for (const id of ["groq/groq/compound", "groq/groq/compound-mini"]) {
      const res = await gw.chat({ model: id, messages: user("what happened today?") });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { model: string }).model).toBe(id);
      const e = await expectErrorEnvelope(await gw.chat({ model: id, tools, messages: user("hi") }), 400);
      expect(e.message).toContain("does not support tools");
    }
    expect(gw.sim.log().map((e) => `${e.provider} ${e.model}`)).toEqual(["groq groq/compound", "groq groq/compound-mini"]);
    const res = await gw.fetch("/v1/models");
    const listed = ((await res.json()) as { data: Array<{ id: string; freeway: { capabilities?: { tools: boolean } } }> }).data;
    expect(listed.find((m) => m.id === "groq/groq/compound")?.freeway.capabilities?.tools).toBe(false);
  });
});
