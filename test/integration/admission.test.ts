// Admission at the gateway: a model's free-tier limit is never exceeded, and 503 comes only when every capable
// candidate is out of room, with a Retry-After that names the earliest moment one can admit.

import { afterEach, describe, expect, it, vi } from "vitest";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

describe("admission", () => {
  // With credit, the first grants of admissions ahead are counted by the actor like any admission.
  it.each([
    ["", "0"],
    [", with credit", "1000"],
  ])("admits exactly 30 of 200 concurrent requests to a 30 RPM model and refuses the other 170 with 503 + Retry-After%s", async (_, credit) => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 30 } }]), CREDIT_MS: credit }, { builtins: false });
    const g = gw;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => g.chat({ model: `${p}/m1`, messages: user(`question ${i}`) })),
    );

    const upstream = g.sim.log().filter((e) => e.endpoint === "chat");
    expect(upstream.length).toBe(30);
    expect(upstream.every((e) => e.model === "m1" && e.status === 200)).toBe(true);

    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 503);
    expect(ok.length).toBe(30);
    expect(refused.length).toBe(170);
    for (const r of refused) {
      const retryAfter = r.headers.get("retry-after") ?? "";
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // The minute's 30 are spent: room comes back as the first of them ages out of the sliding minute.
      expect(Number(retryAfter)).toBeLessThanOrEqual(61);
      const e = await expectErrorEnvelope(r, 503);
      expect(e.type).toBe("service_unavailable");
    }
    for (const r of ok) {
      const body = (await r.json()) as { model: string };
      expect(body.model).toBe(`${p}/m1`);
    }
  });

  it("sends a provider no more than its RPM in any 60 s, as it counts them (a burst, then one every 12.5 s)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.UTC(2031, 4, 6, 12);
    vi.setSystemTime(t0);
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { rpm: 5 } }]), DAILY_PACING: "off", CREDIT_MS: "0" }, { builtins: false });
    const g = gw;
    // The simulator counts the model's 5 a minute over a sliding minute, as Gemini does.
    g.sim.setLimits("openai/m1", { rpm: 5 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await g.chat({ model: `${p}/m1`, messages: user(`burst ${i}`) })).status);
    for (let k = 1; k <= 4; k++) {
      vi.setSystemTime(t0 + k * 12_500);
      codes.push((await g.chat({ model: `${p}/m1`, messages: user(`later ${k}`) })).status);
    }
    // A token bucket would have let one in every 12 s; none fits before the burst ages out of the minute.
    expect(codes).toEqual([200, 200, 200, 200, 200, 503, 503, 503, 503]);
    vi.setSystemTime(t0 + 61_000);
    expect((await g.chat({ model: `${p}/m1`, messages: user("a minute on") })).status).toBe(200);
    expect(g.sim.log().filter((e) => e.status === 429)).toEqual([]);
    vi.useRealTimers();
  });

  // Here the auction has no candidate left to ask: Retry-After must come from the failures seen in this request.
  it("answers 503 with Retry-After equal to the earliest cooldown end when every candidate throttles in this request", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    // Waiting out a short Retry-After is another test's subject (retry-after.test.ts): here nothing waits.
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["ma"] }, { id: b, models: ["mb"] }]), MAX_RETRY_WAIT_MS: "0" }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "rate_limit", retryAfter: 5 } });
    gw.sim.addRule({ provider: "openai", model: "mb", times: 1, fault: { kind: "rate_limit", retryAfter: 3 } });
    const res = await gw.chat({ models: [`${a}/ma`, `${b}/mb`], messages: user("hello") });
    expect(gw.sim.log().map((e) => [e.model, e.status])).toEqual([
      ["ma", 429],
      ["mb", 429],
    ]);
    await expectErrorEnvelope(res.clone(), 503);
    expect(Math.abs(Number(res.headers.get("retry-after")) - 3)).toBeLessThanOrEqual(1);
  });

  it("answers 503 with Retry-After equal to the earliest cooldown end while every candidate is cooling", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    // Waiting out a short Retry-After is another test's subject (retry-after.test.ts): here nothing waits.
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["ma"] }, { id: b, models: ["mb"] }]), MAX_RETRY_WAIT_MS: "0" }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "rate_limit", retryAfter: 5 } });
    gw.sim.addRule({ provider: "openai", model: "mb", times: 1, fault: { kind: "rate_limit", retryAfter: 3 } });
    await gw.chat({ model: `${a}/ma`, messages: user("cool ma") });
    await gw.chat({ model: `${b}/mb`, messages: user("cool mb") });
    expect(gw.sim.log().map((e) => [e.model, e.status])).toEqual([
      ["ma", 429],
      ["mb", 429],
    ]);

    const res = await gw.chat({ models: [`${a}/ma`, `${b}/mb`], messages: user("hello again") });
    // Neither was asked upstream: both are known to be cooling.
    expect(gw.sim.log().length).toBe(2);
    await expectErrorEnvelope(res.clone(), 503);
    expect(Math.abs(Number(res.headers.get("retry-after")) - 3)).toBeLessThanOrEqual(1);
  });

  it("names the soonest candidate in Retry-After when one is out of RPM (60 s) and the other cooling for 7 s", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders([{ id: a, models: [{ upstream: "ma", limits: { rpm: 1 } }] }, { id: b, models: ["mb"] }]) },
      { builtins: false },
    );
    const models = [`${a}/ma`, `${b}/mb`];
    const used = await gw.chat({ models, messages: user("spend the one request a minute") });
    expect(used.status).toBe(200);
    expect(used.headers.get("x-freeway-model")).toBe(`${a}/ma`);

    gw.sim.addRule({ provider: "openai", model: "mb", times: 1, fault: { kind: "rate_limit", retryAfter: 7 } });
    const throttled = await gw.chat({ model: `${b}/mb`, messages: user("cool mb") });
    expect(throttled.status).toBe(503);

    const res = await gw.chat({ models, messages: user("now nothing has room") });
    await expectErrorEnvelope(res.clone(), 503);
    expect(Math.abs(Number(res.headers.get("retry-after")) - 7)).toBeLessThanOrEqual(1);
    // Nothing was sent upstream for the refused request.
    expect(gw.sim.log().length).toBe(2);
  });

  it("serves from the candidate that has room instead of answering 503", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway(
      { CUSTOM_PROVIDERS: customProviders([{ id: a, models: [{ upstream: "ma", limits: { rpm: 2 } }] }, { id: b, models: ["mb"] }]) },
      { builtins: false },
    );
    const models = [`${a}/ma`, `${b}/mb`];
    const served: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await gw.chat({ models, messages: user(`q${i}`) });
      expect(res.status).toBe(200);
      served.push(res.headers.get("x-freeway-model") ?? "");
    }
    expect(served).toEqual([`${a}/ma`, `${a}/ma`, `${b}/mb`, `${b}/mb`, `${b}/mb`, `${b}/mb`]);
    // The model out of room was not even tried: a refusal costs no upstream request.
    expect(gw.sim.log().filter((e) => e.model === "ma").length).toBe(2);
  });

  it("answers 413 when the request alone is larger than the model's tokens-per-minute limit, sending nothing", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { tpm: 1000 } }]) }, { builtins: false });
    const res = await gw.chat({ model: `${p}/m1`, messages: user("word ".repeat(2000)) });
    const e = await expectErrorEnvelope(res, 413);
    expect(e.code).toBe("request_too_large");
    expect(gw.sim.log()).toEqual([]);
  });

  it("still serves small requests after refusing one that was too large for the model's TPM", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { tpm: 1000 } }]) }, { builtins: false });
    expect((await gw.chat({ model: `${p}/m1`, messages: user("word ".repeat(2000)) })).status).toBe(413);
    const small = await gw.chat({ model: `${p}/m1`, max_tokens: 50, messages: user("a small question") });
    expect(small.status).toBe(200);
  });

  it("corrects a token reservation with the real usage, so many small requests fit a small TPM", async () => {
    const p = uniqueProvider();
    // Each request reserves its prompt plus 512 expected completion tokens, but really uses ~20.
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { tpm: 1200 } }]) }, { builtins: false });
    for (let i = 0; i < 20; i++) {
      const res = await gw.chat({ model: `${p}/m1`, messages: user(`short ${i}`) });
      expect(res.status).toBe(200);
    }
    expect(gw.sim.log().length).toBe(20);
  });

  it("never has more requests in flight than the model's concurrency limit, and frees the slots when they finish", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m1", limits: { concurrency: 2 } }]) }, { builtins: false });
    const g = gw;
    g.sim.config({ tokenIntervalMs: 10 });
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => g.chat({ model: `${p}/m1`, stream: true, messages: user(`slow ${i}`) })));
    expect(burst.filter((r) => r.status === 200).length).toBe(2);
    const refused = burst.filter((r) => r.status === 503);
    expect(refused.length).toBe(4);
    for (const r of refused) expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(g.sim.log().length).toBe(2);

    // Both streams have ended and been reported: two more fit.
    const again = await Promise.all(Array.from({ length: 2 }, (_, i) => g.chat({ model: `${p}/m1`, stream: true, messages: user(`again ${i}`) })));
    expect(again.map((r) => r.status)).toEqual([200, 200]);
  });
});
