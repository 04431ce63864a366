// What freeway does with each kind of upstream failure (ARCHITECTURE.md, "Failure classes").

import { afterEach, describe, expect, it, vi } from "vitest";
import { gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope, modelStatus, routingStatus, hangUpAfter, sleep, user, type CustomModel } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  vi.useRealTimers();
  gw?.close();
  gw = undefined;
});

/** Provider `a` serving `aModels`, provider `b` serving `bModels`; ids are `${a}/<name>`. */
function setup(aModels: CustomModel[] = ["ma"], bModels: CustomModel[] = ["mb"]): { a: string; b: string; g: Gateway } {
  const a = uniqueProvider("a");
  const b = uniqueProvider("b");
  gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: aModels }, { id: b, models: bModels }]) }, { builtins: false });
  return { a, b, g: gw };
}

describe("caller errors", () => {
  it("returns a provider's 400 invalid request at once, with the provider's reason, after one upstream request", async () => {
    const { a, b, g } = setup();
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "status", status: 400, message: "Invalid value for 'top_k': expected an integer" } });
    const res = await g.chat({ models: [`${a}/ma`, `${b}/mb`], messages: user("hello") });
    const e = await expectErrorEnvelope(res, 400);
    expect(e.type).toBe("invalid_request_error");
    expect(e.message).toContain("Invalid value for 'top_k': expected an integer");
    expect(g.sim.log().map((x) => x.model)).toEqual(["ma"]);
    // The caller's mistake is not the model's: no cooldown.
    expect(modelStatus(await routingStatus(g), `${a}/ma`).state).toBe("ready");
  });

  it("returns a content-policy refusal at once with the provider's reason and code", async () => {
    const { a, b, g } = setup();
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "content_policy" } });
    const res = await g.chat({ models: [`${a}/ma`, `${b}/mb`], messages: user("something forbidden") });
    const e = await expectErrorEnvelope(res, 400);
    expect(e.message).toContain("safety system");
    expect(e.code).toBe("content_policy_violation");
    expect(g.sim.log().map((x) => x.model)).toEqual(["ma"]);
    expect(modelStatus(await routingStatus(g), `${a}/ma`).state).toBe("ready");
  });
});

describe("context length", () => {
  it("answers 503, not 'too long', when a larger window it fits failed for a moment", async () => {
    const { a, b, g } = setup([{ upstream: "small", context: 8192 }], [{ upstream: "large", context: 131_072 }]);
    g.sim.addRule({ provider: "openai", model: "small", times: 1, fault: { kind: "context_length" } });
    g.sim.addRule({ provider: "openai", model: "large", times: 1, fault: { kind: "status", status: 503 } });
    const res = await g.chat({ models: [`${a}/small`, `${b}/large`], messages: user("a long document") });
    const e = await expectErrorEnvelope(res, 503);
    expect(e.code).not.toBe("context_length_exceeded");
    expect(res.headers.get("retry-after")).not.toBeNull();
  });

  it("tries a larger-context candidate when the provider says the prompt is too long", async () => {
    const { a, b, g } = setup([{ upstream: "small", context: 8192 }], [{ upstream: "large", context: 131_072 }]);
    g.sim.addRule({ provider: "openai", model: "small", times: 1, fault: { kind: "context_length" } });
    const res = await g.chat({ models: [`${a}/small`, `${b}/large`], messages: user("a long prompt") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(`${b}/large`);
    expect(res.headers.get("x-freeway-attempts")).toBe("2");
    expect(g.sim.log().map((x) => [x.model, x.status])).toEqual([
      ["small", 400],
      ["large", 200],
    ]);
  });

  it("returns 400 context_length_exceeded when no larger window is left, without trying same-size models", async () => {
    const { a, b, g } = setup([{ upstream: "small", context: 8192 }], [{ upstream: "same", context: 8192 }]);
    g.sim.addRule({ provider: "openai", model: "small", times: 1, fault: { kind: "context_length" } });
    const res = await g.chat({ models: [`${a}/small`, `${b}/same`], messages: user("a long prompt") });
    const e = await expectErrorEnvelope(res, 400);
    expect(e.code).toBe("context_length_exceeded");
    expect(e.message).toMatch(/context length/i);
    expect(g.sim.log().map((x) => x.model)).toEqual(["small"]);
  });
});

describe("request too large (413)", () => {
  it("skips the model for this request only: no cooldown, the next request may use it", async () => {
    const { a, b, g } = setup();
    const models = [`${a}/ma`, `${b}/mb`];
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "too_large" } });
    const first = await g.chat({ models, messages: user("big") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    expect(first.headers.get("x-freeway-attempts")).toBe("2");
    expect(modelStatus(await routingStatus(g), `${a}/ma`).state).toBe("ready");

    const second = await g.chat({ models, messages: user("small") });
    expect(second.status).toBe(200);
    expect(second.headers.get("x-freeway-model")).toBe(`${a}/ma`);
    expect(g.sim.log().map((x) => [x.model, x.status])).toEqual([
      ["ma", 413],
      ["mb", 200],
      ["ma", 200],
    ]);
  });
});

describe("key and account problems", () => {
  it.each([401, 402, 403])("takes a model answering %i out and fails over to another provider", async (status) => {
    const { a, b, g } = setup(["ma1", "ma2"]);
    g.sim.addRule({ provider: "openai", model: "ma1", fault: { kind: "status", status } });
    g.sim.addRule({ provider: "openai", model: "ma2", fault: { kind: "status", status } });
    const models = [`${a}/ma1`, `${a}/ma2`, `${b}/mb`];
    const first = await g.chat({ models, messages: user("hello") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    // The provider refused our key: its other model is skipped for this request.
    expect(first.headers.get("x-freeway-attempts")).toBe("2");
    expect(g.sim.log().map((x) => x.model)).toEqual(["ma1", "mb"]);

    const st = modelStatus(await routingStatus(g), `${a}/ma1`);
    expect(st.state).toBe("cooling_down");
    expect(Date.parse(st.cooldown_until ?? "")).toBeGreaterThan(Date.now() + 60_000);

    // Later requests never reach the refused model again.
    for (let i = 0; i < 3; i++) {
      const res = await g.chat({ model: `${a}/ma1`, models: [`${b}/mb`], messages: user(`again ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    }
    expect(g.sim.log().filter((x) => x.model === "ma1").length).toBe(1);
  });

  it("takes only the model out when Workers AI refuses it alone (5016, terms not accepted): the account's other models serve on", async () => {
    gw = gateway();
    const g = gw;
    const vision = "workers-ai/@cf/meta/llama-3.2-11b-vision-instruct";
    const sibling = "workers-ai/@cf/meta/llama-3.3-70b-instruct-fp8-fast";
    g.sim.addRule({ provider: "workers-ai", model: "@cf/meta/llama-3.2-11b-vision-instruct", fault: { kind: "status", status: 403, code: 5016, message: "Model agreement not accepted" } });
    const res = await g.chat({ models: [vision, sibling], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(sibling);
    const status = await routingStatus(g);
    expect(modelStatus(status, vision).state).toBe("cooling_down");
    expect(modelStatus(status, sibling).state).toBe("ready");
    expect(modelStatus(status, "workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct").state).toBe("ready");
  });
});

describe("transient failures", () => {
  it("cools a model after three 5xx in a row, then lets a single half-open probe through", async () => {
    const { a, b, g } = setup();
    const models = [`${a}/ma`, `${b}/mb`];
    g.sim.addRule({ provider: "openai", model: "ma", times: 3, fault: { kind: "status", status: 500 } });

    for (let i = 1; i <= 3; i++) {
      const res = await g.chat({ models, messages: user(`try ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(`${b}/mb`);
      const st = modelStatus(await routingStatus(g), `${a}/ma`);
      expect(st.consecutive_failures).toBe(i);
      // One or two blips are not an outage; the third failure in a row is.
      expect(st.state).toBe(i < 3 ? "ready" : "cooling_down");
    }
    const cooled = modelStatus(await routingStatus(g), `${a}/ma`);
    const until = Date.parse(cooled.cooldown_until ?? "");
    expect(until).toBeGreaterThan(Date.now());

    const during = await g.chat({ models, messages: user("while cooling") });
    expect(during.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    expect(g.sim.log().filter((x) => x.model === "ma").length).toBe(3);

    // Jump past the cooldown (the whole isolate shares the clock: actors, simulator and Worker).
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    vi.setSystemTime(until + 100);
    expect(modelStatus(await routingStatus(g), `${a}/ma`).state).toBe("probing");

    // A slow probe, so the other requests bid while it is in flight: only one request may reach the model.
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "slow", firstTokenMs: 150 } });
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => g.chat({ models, messages: user(`probe ${i}`) })));
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const served = burst.map((r) => r.headers.get("x-freeway-model"));
    expect(served.filter((m) => m === `${a}/ma`).length).toBe(1);
    expect(g.sim.log().filter((x) => x.model === "ma").length).toBe(4);

    // The probe succeeded: the model is back in rotation.
    const after = modelStatus(await routingStatus(g), `${a}/ma`);
    expect(after.state).toBe("ready");
    expect(after.consecutive_failures).toBe(0);
    const next = await g.chat({ models, messages: user("back") });
    expect(next.headers.get("x-freeway-model")).toBe(`${a}/ma`);
  });

  it("fails over after a single 5xx without cooling the model", async () => {
    const { a, b, g } = setup();
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "status", status: 502 } });
    const models = [`${a}/ma`, `${b}/mb`];
    const res = await g.chat({ models, messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    const again = await g.chat({ models, messages: user("hello again") });
    expect(again.headers.get("x-freeway-model")).toBe(`${a}/ma`);
  });

  it("tries the same provider's next model after a 404 for one model (a 5xx skips the provider)", async () => {
    const { a, b, g } = setup(["gone", "ma"]);
    g.sim.addRule({ provider: "openai", model: "gone", times: 1, fault: { kind: "status", status: 404, message: "No endpoints found for gone." } });
    const res = await g.chat({ models: [`${a}/gone`, `${a}/ma`, `${b}/mb`], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe(`${a}/ma`);
    g.sim.addRule({ provider: "openai", model: "gone", times: 1, fault: { kind: "status", status: 500 } });
    const five = await g.chat({ models: [`${a}/gone`, `${a}/ma`, `${b}/mb`], messages: user("again") });
    expect(five.headers.get("x-freeway-model")).toBe(`${b}/mb`);
  });

  it("tries the next model when the provider no longer serves one (a 400 model_decommissioned), not the caller's error", async () => {
    const { a, b, g } = setup(["retired", "ma"]);
    const message = "The model `retired` has been decommissioned and is no longer supported.";
    g.sim.addRule({ provider: "openai", model: "retired", fault: { kind: "status", status: 400, code: "model_decommissioned", message } });
    for (let i = 0; i < 2; i++) {
      const res = await g.chat({ models: [`${a}/retired`, `${a}/ma`, `${b}/mb`], messages: user(`hello ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(`${a}/ma`);
    }
  });

  it("fails over past a Workers AI model that does not exist there (400, code 5007)", async () => {
    gw = gateway();
    const g = gw;
    g.sim.addRule({ provider: "workers-ai", model: "@cf/meta/llama-3.2-1b-instruct", fault: { kind: "status", status: 400, code: 5007, message: "No such model @cf/meta/llama-3.2-1b-instruct or task" } });
    const res = await g.chat({ models: ["workers-ai/@cf/meta/llama-3.2-1b-instruct", "groq/llama-3.1-8b-instant"], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(g.sim.log().map((e) => [e.model, e.status])).toEqual([
      ["@cf/meta/llama-3.2-1b-instruct", 400],
      ["llama-3.1-8b-instant", 200],
    ]);
  });

  it("stops after MAX_ATTEMPTS upstream attempts and answers 503", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => uniqueProvider(`f${i}`));
    gw = gateway({ MAX_ATTEMPTS: "3", CUSTOM_PROVIDERS: customProviders(ids.map((id) => ({ id, models: [`${id}-m`] }))) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", fault: { kind: "status", status: 500 } });
    const res = await gw.chat({ models: ids.map((id) => `${id}/${id}-m`), messages: user("hello") });
    expect(res.headers.get("x-freeway-attempts")).toBe("3");
    await expectErrorEnvelope(res, 503);
    expect(gw.sim.log().length).toBe(3);
  });

  it("cools the model again, for longer, when its half-open probe fails", async () => {
    const { a, b, g } = setup();
    const models = [`${a}/ma`, `${b}/mb`];
    g.sim.addRule({ provider: "openai", model: "ma", times: 4, fault: { kind: "status", status: 500 } });
    for (let i = 0; i < 3; i++) await g.chat({ models, messages: user(`try ${i}`) });
    const first = modelStatus(await routingStatus(g), `${a}/ma`);
    const firstWait = Date.parse(first.cooldown_until ?? "") - Date.now();

    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    vi.setSystemTime(Date.parse(first.cooldown_until ?? "") + 100);
    const probe = await g.chat({ models, messages: user("probe") });
    expect(probe.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    expect(g.sim.log().filter((x) => x.model === "ma").length).toBe(4);

    const again = modelStatus(await routingStatus(g), `${a}/ma`);
    expect(again.state).toBe("cooling_down");
    expect(again.consecutive_failures).toBe(4);
    // Backoff: the second cooldown is longer than the first.
    expect(Date.parse(again.cooldown_until ?? "") - Date.now()).toBeGreaterThan(firstWait + 1000);
  });

  it("gives up when the total latency budget is spent, without starting another attempt", async () => {
    const ids = Array.from({ length: 4 }, (_, i) => uniqueProvider(`h${i}`));
    gw = gateway({ TOTAL_TIMEOUT_MS: "500", CUSTOM_PROVIDERS: customProviders(ids.map((id) => ({ id, models: [`${id}-m`] }))) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", fault: { kind: "hang" } });
    const started = Date.now();
    const res = await gw.chat({ models: ids.map((id) => `${id}/${id}-m`), messages: user("hello") });
    await expectErrorEnvelope(res, 503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(gw.sim.log().length).toBeLessThanOrEqual(2);
  });
});

describe("the caller hanging up", () => {
  /** Sends a request whose first candidate hangs, and hangs up 100 ms in; returns once the gateway has settled. */
  async function hangUp(g: Gateway, models: string[]): Promise<void> {
    g.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "hang" } });
    await hangUpAfter(g, { models, messages: user("never mind") }, 100);
    // Past the first-byte timeout: a failover would have happened by now.
    await sleep(400);
  }

  it("stops the attempt in progress and tries no other model", async () => {
    const { a, b, g } = setup();
    await hangUp(g, [`${a}/ma`, `${b}/mb`]);
    expect(g.sim.log().map((x) => [x.model, x.aborted])).toEqual([["ma", true]]);
  });

  it("does not count the caller's hang-up against the model", async () => {
    const { a, g } = setup();
    await hangUp(g, [`${a}/ma`]);
    const st = modelStatus(await routingStatus(g), `${a}/ma`);
    expect(st.consecutive_failures ?? 0).toBe(0);
  });
});

describe("account-wide limits", () => {
  it("skips the rest of a shared pool in the request that met its account-wide daily 429", async () => {
    gw = gateway();
    const g = gw;
    // The account's :free allowance is spent: every :free model answers so.
    g.sim.addRule({ provider: "openrouter", fault: { kind: "rate_limit", scope: "day" } });
    const free = ["openrouter/openai/gpt-oss-20b:free", "openrouter/meta-llama/llama-3.3-70b-instruct:free", "openrouter/meta-llama/llama-3.2-3b-instruct:free"];
    const res = await g.chat({ models: [...free, "groq/llama-3.1-8b-instant"], messages: user("hello") });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-freeway-model")).toBe("groq/llama-3.1-8b-instant");
    expect(g.sim.log().filter((e) => e.provider === "openrouter")).toHaveLength(1);
  });
});
