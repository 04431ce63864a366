// Cooldowns after 429s: a daily cap cools a model until its provider's midnight, a Retry-After to the second.

import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { adminClient, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { customProviders, expectErrorEnvelope, modelStatus, routingStatus, sleep, user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
});

/** The next local midnight in `timeZone` (whole-hour offsets only, which covers UTC and America/Los_Angeles). */
function nextMidnight(timeZone: string, now: number): number {
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const start = Math.floor(now / 3_600_000) * 3_600_000 + 3_600_000;
  for (let t = start; t < start + 48 * 3_600_000; t += 3_600_000) if (fmt.format(new Date(t)) === "00:00:00") return t;
  throw new Error(`no midnight found in ${timeZone}`);
}

describe("daily caps", () => {
  it("cools a SambaNova model hit by its daily cap until the next UTC midnight and sends it nothing more", async () => {
    gw = gateway();
    const capped = "sambanova/Meta-Llama-3.3-70B-Instruct";
    gw.sim.addRule({ provider: "sambanova", model: "Meta-Llama-3.3-70B-Instruct", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    const first = await gw.chat({ model: capped, messages: user("hello") });
    // The only candidate is exhausted for the day.
    await expectErrorEnvelope(first, 503);
    const midnight = nextMidnight("UTC", Date.now());

    const status = modelStatus(await routingStatus(gw), capped);
    expect(status.state).toBe("cooling_down");
    expect(status.cooldown_until).toBe(new Date(midnight).toISOString());

    // The family alias still answers, from another host; the capped model is never asked again.
    for (let i = 0; i < 5; i++) {
      const res = await gw.chat({ model: "llama-3.3-70b", messages: user(`after the cap ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).not.toBe(capped);
    }
    expect(gw.sim.log().filter((e) => e.provider === "sambanova").length).toBe(1);
  });

  // The model was tried and excluded in this request: Retry-After must come from its failure, not a default.
  it("tells the caller to come back at the reset when the only candidate hits its daily cap", async () => {
    gw = gateway();
    gw.sim.addRule({ provider: "sambanova", model: "gpt-oss-120b", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    const res = await gw.chat({ model: "sambanova/gpt-oss-120b", messages: user("hello") });
    await expectErrorEnvelope(res.clone(), 503);
    const untilMidnight = (nextMidnight("UTC", Date.now()) - Date.now()) / 1000;
    expect(Math.abs(Number(res.headers.get("retry-after")) - untilMidnight)).toBeLessThanOrEqual(2);
  });

  it("cools a Gemini model hit by its PerDay quota until midnight America/Los_Angeles", async () => {
    gw = gateway();
    const capped = "gemini/gemini-2.5-flash";
    const other = "gemini/gemini-2.5-flash-lite";
    gw.sim.addRule({ provider: "gemini", model: "gemini-2.5-flash", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    const first = await gw.chat({ models: [capped, other], messages: user("hello") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(other);
    expect(first.headers.get("x-freeway-attempts")).toBe("2");

    const status = modelStatus(await routingStatus(gw), capped);
    expect(status.state).toBe("cooling_down");
    expect(status.cooldown_until).toBe(new Date(nextMidnight("America/Los_Angeles", Date.now())).toISOString());

    for (let i = 0; i < 3; i++) {
      const res = await gw.chat({ models: [capped, other], messages: user(`after the cap ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(other);
      expect(res.headers.get("x-freeway-attempts")).toBe("1");
    }
    expect(gw.sim.log().filter((e) => e.model === "gemini-2.5-flash").length).toBe(1);
  });
});

describe("rolling daily allowances", () => {
  afterEach(() => vi.useRealTimers());

  it("counts Groq's day as rolling: a spent allowance comes back a day's share at a time, a calendar one at midnight", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 27, 10, 0, 0));
    // Pacing and the priority reserve would hold back part of a 3-request day: off, the allowance alone decides.
    gw = gateway({ ADMIN_TOKEN: "admin-token-for-rolling", DAILY_PACING: "off", PRIORITY_RESERVE_PERCENT: "0" });
    const admin = adminClient(gw, "admin-token-for-rolling");
    const groq = "groq/llama-3.3-70b-versatile";
    const samba = "sambanova/DeepSeek-V3.1";
    for (const id of [groq, samba]) {
      await admin.models.setLimits.mutate({ id, limits: { rpd: 3 } });
      for (let i = 0; i < 3; i++) expect((await gw.chat({ model: id, messages: user(`q ${i}`) })).status, `${id}, request ${i}`).toBe(200);
    }
    const rolled = await gw.chat({ model: groq, messages: user("one too many") });
    await expectErrorEnvelope(rolled.clone(), 503);
    // 3 a day come back one every 8 hours.
    expect(Math.abs(Number(rolled.headers.get("retry-after")) - 8 * 3600)).toBeLessThanOrEqual(2);
    const calendar = await gw.chat({ model: samba, messages: user("one too many") });
    await expectErrorEnvelope(calendar.clone(), 503);
    expect(Number(calendar.headers.get("retry-after"))).toBe(14 * 3600);

    const status = await routingStatus(gw);
    expect(modelStatus(status, groq)).toMatchObject({ daily_refill: "rolling", remaining: { rpd: 0 }, daily_reset_at: "2026-11-28T10:00:00.000Z" });
    expect(modelStatus(status, samba)).toMatchObject({ daily_refill: "midnight", daily_reset_at: "2026-11-28T00:00:00.000Z" });
    // A Groq model nobody asked yet says so too.
    expect(modelStatus(status, "groq/llama-3.1-8b-instant").daily_refill).toBe("rolling");

    // Eight hours on, Groq has room for one more; SambaNova's day has six hours to go.
    vi.setSystemTime(Date.UTC(2026, 10, 27, 18, 0, 5));
    expect((await gw.chat({ model: groq, messages: user("eight hours later") })).status).toBe(200);
    await expectErrorEnvelope(await gw.chat({ model: groq, messages: user("and one more") }), 503);
    await expectErrorEnvelope(await gw.chat({ model: samba, messages: user("eight hours later") }), 503);
    expect(gw.sim.log().filter((e) => e.endpoint === "chat")).toHaveLength(7);
    // Actors outlive the test within this file: the operator's 3-a-day must not decide the next test's cooldown.
    for (const id of [groq, samba]) await admin.models.setLimits.mutate({ id, limits: null });
  });
});

describe("a daily 429 that names no moment", () => {
  afterEach(() => vi.useRealTimers());

  it("on a rolling day (Groq's), tells the caller to come back when one request's share has returned, not at midnight", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 11, 3, 10, 0, 0));
    gw = gateway();
    const groq = "groq/llama-3.3-70b-versatile"; // 1,000 requests a day (PROVIDERS.md §2)
    // Groq's daily wording, without its usual "Please try again in …" and without a Retry-After header.
    const message = "Rate limit reached for model `llama-3.3-70b-versatile` on requests per day (RPD): Limit 1000, Used 1000, Requested 1.";
    gw.sim.addRule({ provider: "groq", model: "llama-3.3-70b-versatile", times: 1, fault: { kind: "status", status: 429, message } });
    const res = await gw.chat({ model: groq, messages: user("one too many") });
    await expectErrorEnvelope(res.clone(), 503);
    // 86,400 s / 1,000 requests: 87 s, where the next UTC midnight is 14 hours away.
    expect(Number(res.headers.get("retry-after"))).toBe(87);
  });
});

describe("account-wide daily caps", () => {
  function poolStatus(s: Awaited<ReturnType<typeof routingStatus>>, provider: string, pool: string): { state: string; cooldown_until: string | null } {
    const pools = (s.providers.find((p) => p.id === provider)?.pools ?? []) as Array<{ id: string; state: string; cooldown_until: string | null }>;
    const found = pools.find((x) => x.id === pool);
    if (!found) throw new Error(`no pool ${pool}`);
    return found;
  }

  it("cools OpenRouter's shared :free allowance until its UTC reset after free-models-per-day, for every :free model", async () => {
    gw = gateway();
    gw.sim.addRule({ provider: "openrouter", model: "openai/gpt-oss-20b:free", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    const fallback = "groq/llama-3.1-8b-instant";
    const first = await gw.chat({ models: ["openrouter/openai/gpt-oss-20b:free", fallback], messages: user("hello") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(fallback);

    const pool = poolStatus(await routingStatus(gw), "openrouter", "openrouter:free");
    expect(pool.state).toBe("cooling_down");
    // OpenRouter says when (X-RateLimit-Reset, epoch ms); relayed as a duration, it may drift by a few ms.
    expect(Math.abs(Date.parse(pool.cooldown_until ?? "") - nextMidnight("UTC", Date.now()))).toBeLessThanOrEqual(1000);

    // Another :free model shares the allowance: it is not asked either.
    for (let i = 0; i < 3; i++) {
      const res = await gw.chat({ models: ["openrouter/nvidia/nemotron-nano-9b-v2:free", fallback], messages: user(`after ${i}`) });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-freeway-model")).toBe(fallback);
    }
    expect(gw.sim.log().filter((e) => e.provider === "openrouter").length).toBe(1);
  });

  it("cools the Workers AI account until 00:00 UTC after error 3036 (daily neurons used up)", async () => {
    gw = gateway();
    gw.sim.addRule({ provider: "workers-ai", model: "@cf/meta/llama-3.2-1b-instruct", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    const fallback = "groq/llama-3.1-8b-instant";
    const first = await gw.chat({ models: ["workers-ai/@cf/meta/llama-3.2-1b-instruct", fallback], messages: user("hello") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(fallback);
    const pool = poolStatus(await routingStatus(gw), "workers-ai", "workers-ai:account");
    expect(pool.state).toBe("cooling_down");
    expect(pool.cooldown_until).toBe(new Date(nextMidnight("UTC", Date.now())).toISOString());

    const res = await gw.chat({ models: ["workers-ai/@cf/meta/llama-3.2-3b-instruct", fallback], messages: user("after") });
    expect(res.headers.get("x-freeway-model")).toBe(fallback);
    expect(gw.sim.log().filter((e) => e.provider === "workers-ai").length).toBe(1);
  });
});

describe("Retry-After", () => {
  it("honours Retry-After: 2 to the second: nothing reaches the model for 2 s, then it is used again", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: a, models: ["ma"] }, { id: b, models: ["mb"] }]) }, { builtins: false });
    gw.sim.addRule({ provider: "openai", model: "ma", times: 1, fault: { kind: "rate_limit", retryAfter: 2 } });
    const models = [`${a}/ma`, `${b}/mb`];

    const first = await gw.chat({ models, messages: user("first") });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-freeway-model")).toBe(`${b}/mb`);
    const throttledAt = gw.sim.log()[0]?.ts ?? 0;
    expect(gw.sim.log()[0]).toMatchObject({ model: "ma", status: 429 });

    // Ask again and again (at least 50 ms apart) until the preferred model answers again (3.5 s at most).
    const during: string[] = [];
    let back: string | null = null;
    for (let i = 0; back === null && Date.now() - throttledAt < 3500; i++) {
      const started = Date.now();
      const res = await gw.chat({ models, messages: user(`poll ${i}`) });
      expect(res.status).toBe(200);
      const model = res.headers.get("x-freeway-model") ?? "";
      if (model === `${a}/ma`) back = model;
      else during.push(model);
      await sleep(Math.max(0, 50 - (Date.now() - started)));
    }
    expect(back).toBe(`${a}/ma`);
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(new Set(during)).toEqual(new Set([`${b}/mb`]));

    const toA = gw.sim.log().filter((e) => e.model === "ma");
    expect(toA.length).toBe(2);
    const gap = (toA[1]?.ts ?? 0) - throttledAt;
    expect(gap).toBeGreaterThanOrEqual(2000 - 5);
    // Used again by the first request after the 2 s (one request, plus polling slack).
    expect(gap).toBeLessThanOrEqual(2000 + 300);
  });

  it("names the end of the model's backed-off cooldown after a second 429 without Retry-After, not a flat 5 s", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => void vi.useRealTimers());
    const t0 = Date.UTC(2031, 4, 6, 12);
    vi.setSystemTime(t0);
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProviders([{ id: p, models: ["m1"] }]) }, { builtins: false });
    const g = gw;
    const model = `${p}/m1`;
    // Throttled twice, never saying for how long: the actor backs off 5 s, then 10 s.
    g.sim.addRule({ provider: "openai", model: "m1", times: 2, fault: { kind: "status", status: 429, message: "slow down" } });
    const first = await g.chat({ model, messages: user("first") });
    expect(first.status).toBe(503);
    expect(Number(first.headers.get("retry-after"))).toBe(5);
    vi.setSystemTime(t0 + 6_000);
    const second = await g.chat({ model, messages: user("second") });
    expect(second.status).toBe(503);
    const wait = Number(second.headers.get("retry-after"));
    // A caller that waits as told is served, not refused again without a call upstream.
    vi.setSystemTime(t0 + 6_000 + wait * 1000);
    const third = await g.chat({ model, messages: user("as told") });
    expect(g.sim.log().map((e) => e.status)).toEqual([429, 429, 200]);
    expect(third.status).toBe(200);
  });
});
