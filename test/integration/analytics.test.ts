// Analytics and the admin API: a scripted run through the simulator (with failovers and throttles) is reported
// exactly — by the typed admin client over HTTP, by createCaller, and by the public /v1/analytics.

import { afterEach, describe, expect, it, vi } from "vitest";
import { createAdminClient } from "../../admin-client/index.ts";
import { appRouter } from "../../worker/admin/router.ts";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  vi.useRealTimers();
});

const ADMIN = "analytics-admin-token";

function setup(models: Record<string, Array<string | Record<string, unknown>>>) {
  const ids = Object.keys(models);
  const providers = ids.flatMap((id) => JSON.parse(customProvider(id, models[id] as Array<string | Record<string, unknown>>)) as unknown[]);
  // No high-priority reserve: the forecast is checked against the allowance running out for everyone.
  const g = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: JSON.stringify(providers), PRIORITY_RESERVE_PERCENT: "0" }, { builtins: false });
  const admin = adminClient(g, ADMIN);
  return { g, admin };
}

describe("analytics", () => {
  it("reports exactly N requests, split per provider and model, with the failovers and throttles seen", async () => {
    const a = uniqueProvider("a");
    const b = uniqueProvider("b");
    const { g, admin } = setup({ [a]: ["m1", "m3", "m4"], [b]: ["m2"] });
    gw = g;
    const since = Date.now() - 1000;
    const ask = async (models: string[], content: string): Promise<void> => {
      const res = await g.chat({ model: models[0], models, messages: [{ role: "user", content }] });
      expect(res.status).toBe(200);
    };
    // 12 requests: 7 answered by a/m1; then 3 fail over from a/m1 (500s) and 2 from a/m3, a/m4 (429s) to b/m2.
    for (let i = 0; i < 7; i++) await ask([`${a}/m1`], `z${i}`);
    g.sim.addRule({ provider: "openai", model: "m1", times: 3, fault: { kind: "status", status: 500 } });
    for (let i = 0; i < 3; i++) await ask([`${a}/m1`, `${b}/m2`], `x${i}`);
    for (const m of ["m3", "m4"]) {
      g.sim.addRule({ provider: "openai", model: m, times: 1, fault: { kind: "rate_limit", retryAfter: 30 } });
      await ask([`${a}/${m}`, `${b}/m2`], `y${m}`);
    }

    const s = await admin.analytics.summary.query({ since, by: "model" });
    const mine = s.groups.filter((x) => x.id.startsWith(a) || x.id.startsWith(b));
    expect(mine.reduce((n, x) => n + x.requests, 0)).toBe(12);
    const ma = mine.find((x) => x.id === `${a}/m1`);
    const mb = mine.find((x) => x.id === `${b}/m2`);
    expect(ma).toMatchObject({ requests: 7, succeeded: 7, failoversOut: 3, throttled: 0 });
    expect(mine.find((x) => x.id === `${a}/m3`)).toMatchObject({ requests: 0, failoversOut: 1, throttled: 1 });
    expect(mb).toMatchObject({ requests: 5, succeeded: 5, failoversIn: 5, throttled: 0 });
    expect(s.groups.reduce((n, x) => n + x.failoversIn, 0)).toBeGreaterThanOrEqual(5);
    expect(ma?.latencyP50).not.toBeNull();
    expect(ma?.moneySaved).toBeGreaterThan(0);

    const byProvider = await admin.analytics.summary.query({ since, by: "provider" });
    expect(byProvider.groups.find((x) => x.id === a)?.requests).toBe(7);
    expect(byProvider.groups.find((x) => x.id === b)?.requests).toBe(5);

    const log = await admin.analytics.requests.query({ since, limit: 100 });
    const ours = log.filter((r) => r.requested.startsWith(a));
    expect(ours).toHaveLength(12);
    expect(ours.filter((r) => r.attempts.length === 2).map((r) => r.attempts[0]?.outcome).sort()).toEqual(["throttle", "throttle", "transient", "transient", "transient"]);

    const series = await admin.analytics.timeseries.query({ since, bucketMinutes: 60, model: `${b}/m2` });
    expect(series.reduce((n, x) => n + x.requests, 0)).toBe(5);

    const pub = (await (await g.fetch("/v1/analytics")).json()) as { models: Array<{ id: string; requests: number }>; providers: Array<{ id: string; requests: number }> };
    expect(pub.models.find((x) => x.id === `${a}/m1`)?.requests).toBe(7);
    expect(pub.providers.find((x) => x.id === b)?.requests).toBe(5);
    expect(JSON.stringify(pub)).not.toMatch(/"key"/);
  });

  it("counts no failure or failover for coalesced followers, a hedge's stopped attempt, or an embedding's batches", async () => {
    const slow = uniqueProvider("slow");
    const spare = uniqueProvider("spare");
    const emb = uniqueProvider("emb");
    const g = gateway(
      {
        ADMIN_TOKEN: ADMIN,
        CUSTOM_PROVIDERS: JSON.stringify([
          ...(JSON.parse(customProvider(slow, ["m"])) as unknown[]),
          ...(JSON.parse(customProvider(spare, ["m"])) as unknown[]),
          ...(JSON.parse(customProvider(emb, [{ upstream: "e", kind: "embedding", dimensions: 1536, maxBatch: 2 }])) as unknown[]),
        ]),
        HEDGE_AFTER_MS: "200",
        HEDGE_MIN_MS: "50",
      },
      { builtins: false },
    );
    gw = g;
    const admin = adminClient(g, ADMIN);
    const since = Date.now() - 1000;
    // Ten identical deterministic requests share one upstream call.
    g.sim.config({ latencyMs: 200 });
    const shared = await Promise.all(Array.from({ length: 10 }, () => g.chat({ model: `${spare}/m`, temperature: 0, messages: [{ role: "user", content: "same" }] })));
    expect(shared.map((r) => r.status)).toEqual(Array<number>(10).fill(200));
    g.sim.config({ latencyMs: 0 });
    // A slow first token is hedged; the hedge answers and the slow one is stopped.
    g.sim.addRule({ provider: "openai", model: "m", times: 1, fault: { kind: "slow", firstTokenMs: 5_000 } });
    const hedged = await g.chat({ models: [`${slow}/m`, `${spare}/m`], stream: true, messages: [{ role: "user", content: "hedge me" }] });
    await hedged.text();
    expect(hedged.headers.get("x-freeway-route")).toContain(`${slow}/m;abandoned`);
    // Five inputs in batches of two: three calls to one model.
    const embedded = await g.fetch("/v1/embeddings", { method: "POST", body: JSON.stringify({ model: `${emb}/e`, input: ["a", "b", "c", "d", "e"] }) });
    expect(embedded.status).toBe(200);

    const groups = (await admin.analytics.summary.query({ since, by: "model" })).groups;
    expect(groups.find((x) => x.id === `${spare}/m`)).toMatchObject({ requests: 11, succeeded: 11, errors: 0, failoversIn: 0, failoversOut: 0 });
    expect(groups.find((x) => x.id === `${slow}/m`) ?? { errors: 0, failoversOut: 0 }).toMatchObject({ errors: 0, failoversOut: 0 });
    expect(groups.find((x) => x.id === `${emb}/e`)).toMatchObject({ requests: 1, succeeded: 1, errors: 0, failoversIn: 0 });
  });

  it("forecasts when a daily cap runs out, within 10 % of when it does under steady traffic", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    // Start just after a UTC midnight so the whole run fits one provider day.
    const start = Date.UTC(2026, 10, 28, 0, 5);
    vi.setSystemTime(start);
    const p = uniqueProvider("f");
    const { g, admin } = setup({ [p]: [{ upstream: "m", limits: { rpd: 100 } }] });
    gw = g;
    // Steady traffic: one request every 30 s. After 40 of them, 60 remain: they last 30 more minutes.
    for (let i = 0; i < 40; i++) {
      expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: `t${i}` }] })).status).toBe(200);
      vi.setSystemTime(Date.now() + 30_000);
    }
    const predicted = (await admin.analytics.forecast.query()).find((f) => f.id === `${p}/m` && f.limit === "rpd");
    expect(predicted?.remaining).toBe(60);
    let actual = 0;
    for (let i = 0; i < 80; i++) {
      const res = await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: `u${i}` }] });
      if (res.status !== 200) {
        actual = Date.now();
        break;
      }
      vi.setSystemTime(Date.now() + 30_000);
    }
    expect(actual).toBeGreaterThan(0);
    const askedAt = start + 40 * 30_000;
    const error = Math.abs((predicted?.exhaustedAt ?? 0) - actual) / (actual - askedAt);
    expect(error).toBeLessThan(0.1);
    expect(predicted?.lastsUntilReset).toBe(false);
  });

  it("measures the burn of a model whose every attempt failed over since traffic began, not as one minute's", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.UTC(2026, 10, 27, 12, 0, 10);
    vi.setSystemTime(start);
    const p = uniqueProvider("b");
    const q = uniqueProvider("g");
    const { g, admin } = setup({ [p]: [{ upstream: "bad", limits: { rpd: 1000 } }], [q]: [{ upstream: "good", limits: { rpd: 1000 } }] });
    gw = g;
    g.sim.addRule({ provider: "openai", model: "bad", times: 10, fault: { kind: "status", status: 500 } });
    // Ten attempts 5 minutes apart, each failing over: 10 in 45 minutes.
    for (let i = 0; i < 10; i++) {
      vi.setSystemTime(start + i * 5 * 60_000);
      const res = await g.chat({ models: [`${p}/bad`, `${q}/good`], messages: [{ role: "user", content: `b${i}` }] });
      expect(res.headers.get("x-freeway-attempts")).toBe("2");
    }
    const bad = (await admin.analytics.forecast.query()).find((f) => f.id === `${p}/bad` && f.limit === "rpd");
    expect(bad?.burnRate).toBeCloseTo(10 / 45, 1);
  });

  it("takes one request after a quiet spell as the hour's rate, not a minute's", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    // A day of its own, so that no other test's traffic counts.
    vi.setSystemTime(Date.UTC(2031, 1, 3, 9));
    const p = uniqueProvider("q");
    const { g, admin } = setup({ [p]: [{ upstream: "m", limits: { rpd: 50 } }] });
    gw = g;
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "early" }] })).status).toBe(200);
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "late" }] })).status).toBe(200);
    vi.setSystemTime(Date.now() + 30_000);
    const f = (await admin.analytics.forecast.query()).find((x) => x.id === `${p}/m` && x.limit === "rpd");
    // One request in the last hour: 1/60 a minute, which lasts the day (it read as 1 a minute, out in 48 min).
    expect(f?.burnRate).toBeCloseTo(1 / 60, 3);
    expect(f?.lastsUntilReset).toBe(true);
  });

  it("counts the calls of requests nothing answered in the burn: they spent the allowance too", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2031, 3, 5, 9));
    const p = uniqueProvider("u");
    const { g, admin } = setup({ [p]: [{ upstream: "m", limits: { rpd: 100 } }] });
    gw = g;
    // One call a minute for 5 minutes, each failing upstream (HTTP 500), the only candidate: nothing answers.
    g.sim.addRule({ provider: "openai", model: "m", fault: { kind: "status", status: 500 } });
    for (let i = 0; i < 5; i++) {
      expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: `u${i}` }] })).status).toBe(503);
      vi.setSystemTime(Date.now() + 60_000);
    }
    const f = (await admin.analytics.forecast.query()).find((x) => x.id === `${p}/m` && x.limit === "rpd");
    expect(f?.remaining).toBe(95);
    expect(f?.burnRate).toBeCloseTo(1, 1);
  });

  it("says which whole hours a summary counted: a request at 12:50 is in a range ending 12:10, which ends at 13:00", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2031, 2, 4, 12, 50));
    const p = uniqueProvider("h");
    const { g, admin } = setup({ [p]: ["m"] });
    gw = g;
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "late" }] })).status).toBe(200);
    vi.setSystemTime(Date.UTC(2031, 2, 4, 14));
    const s = await admin.analytics.summary.query({ since: Date.UTC(2031, 2, 4, 11, 20), until: Date.UTC(2031, 2, 4, 12, 10) });
    expect([s.since, s.until]).toEqual([Date.UTC(2031, 2, 4, 11), Date.UTC(2031, 2, 4, 13)]);
    expect(s.totals.requests).toBe(1);
  });

  it("forecasts a rolling daily allowance (Groq's) by what is spent beyond its refill", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    // In the past: the audit log this file shares lists its newest entries first.
    const now = Date.UTC(2026, 10, 27, 10, 0, 30);
    vi.setSystemTime(now);
    const g = gateway({ ADMIN_TOKEN: ADMIN, DAILY_PACING: "off", PRIORITY_RESERVE_PERCENT: "0" });
    gw = g;
    const admin = adminClient(g, ADMIN);
    const fast = "groq/llama-3.1-8b-instant";
    const slow = "groq/llama-3.3-70b-versatile";
    // 1,440 a day refill one a minute; 14,400 a day ten a minute.
    await admin.models.setLimits.mutate({ id: fast, limits: { rpd: 1440 } });
    await admin.models.setLimits.mutate({ id: slow, limits: { rpd: 14_400 } });
    for (const id of [fast, slow]) for (let i = 0; i < 3; i++) expect((await g.chat({ model: id, messages: [{ role: "user", content: `r${i}` }] })).status).toBe(200);
    const forecast = await admin.analytics.forecast.query();
    // 3 a minute against a refill of 1: the 1,437 left run down at 2 a minute (a calendar day's sum would say 3).
    const runsOut = forecast.find((f) => f.id === fast && f.limit === "rpd");
    expect(runsOut).toMatchObject({ remaining: 1437, burnRate: 3, lastsUntilReset: false });
    expect(Math.abs((runsOut?.exhaustedAt ?? 0) - (now + (1437 / 2) * 60_000))).toBeLessThan(60_000);
    // 3 a minute against a refill of 10: it never runs out.
    expect(forecast.find((f) => f.id === slow && f.limit === "rpd")).toMatchObject({ exhaustedAt: null, lastsUntilReset: true });
  });

  it("applies a limit change on the very next request, records it in the audit log, and survives eviction", async () => {
    const p = uniqueProvider("l");
    const { g, admin } = setup({ [p]: ["m"] });
    gw = g;
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "before" }] })).status).toBe(200);
    const after = await admin.models.setLimits.mutate({ id: `${p}/m`, limits: { rpm: 1 } });
    expect(after.limits.rpm).toBe(1);
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "first" }] })).status).toBe(200);
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "second" }] })).status).toBe(503);
    const audit = await admin.analytics.audit.query({ limit: 10 });
    expect(audit[0]).toMatchObject({ actor: "admin", action: `models.setLimits ${p}/m` });
    expect((audit[0]?.after as { overrides: unknown }).overrides).toEqual({ rpm: 1 });
    await admin.models.setLimits.mutate({ id: `${p}/m`, limits: null });
    expect((await admin.models.get.query({ id: `${p}/m` })).status?.overrides).toEqual({});
  });

  it("disables and re-enables a model, resets a cooldown, and refuses unknown models", async () => {
    const p = uniqueProvider("d");
    const { g, admin } = setup({ [p]: ["m"] });
    gw = g;
    await admin.models.disable.mutate({ id: `${p}/m` });
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "x" }] })).status).toBe(503);
    await admin.models.enable.mutate({ id: `${p}/m` });
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "y" }] })).status).toBe(200);
    g.sim.addRule({ provider: "openai", model: "m", times: 1, fault: { kind: "rate_limit", retryAfter: 600 } });
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "z" }] })).status).toBe(503);
    const reset = await admin.models.resetCooldown.mutate({ id: `${p}/m` });
    expect(reset.snapshot.cooldownUntil).toBe(0);
    expect((await g.chat({ model: `${p}/m`, messages: [{ role: "user", content: "again" }] })).status).toBe(200);
    await expect(admin.models.get.query({ id: "nope/nothing" })).rejects.toThrow(/No model/);
  });

  it("charts a request that failed over once as one request that succeeded, and its failed attempt apart", async () => {
    const p = uniqueProvider("f");
    const q = uniqueProvider("g");
    const { g, admin } = setup({ [p]: ["m1"], [q]: ["m2"] });
    gw = g;
    // A day of its own: the ledger holds only this test's requests.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2031, 0, 2, 12));
    const since = Date.now();
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "status", status: 500 } });
    g.sim.addRule({ provider: "openai", model: "m2", times: 1, fault: { kind: "status", status: 500 } });
    expect((await g.chat({ models: [`${p}/m1`, `${q}/m2`], messages: [{ role: "user", content: "once" }] })).status).toBe(503);
    g.sim.addRule({ provider: "openai", model: "m1", times: 1, fault: { kind: "status", status: 500 } });
    expect((await g.chat({ models: [`${p}/m1`, `${q}/m2`], messages: [{ role: "user", content: "twice" }] })).status).toBe(200);
    const series = await admin.analytics.timeseries.query({ since, bucketMinutes: 60 });
    const total = (k: "requests" | "succeeded" | "errors" | "failedAttempts"): number => series.reduce((n, b) => n + b[k], 0);
    // Two requests: one answered after a failover, one that failed on both models.
    expect([total("requests"), total("succeeded"), total("errors"), total("failedAttempts")]).toEqual([2, 1, 1, 3]);
  });

  it("switches a provider off and on again, leaving off a model the operator switched off on its own", async () => {
    const p = uniqueProvider("s");
    const { g, admin } = setup({ [p]: ["m1", "m2"] });
    gw = g;
    const ask = async (m: string): Promise<number> => (await g.chat({ model: `${p}/${m}`, messages: [{ role: "user", content: m }] })).status;
    await admin.models.disable.mutate({ id: `${p}/m1` });
    expect(await admin.providers.disable.mutate({ id: p })).toEqual({ id: p, models: 2 });
    expect([await ask("m1"), await ask("m2")]).toEqual([503, 503]);
    await admin.providers.enable.mutate({ id: p });
    expect([await ask("m1"), await ask("m2")]).toEqual([503, 200]);
    expect((await admin.models.get.query({ id: `${p}/m1` })).status?.snapshot.disabled).toBe(true);
    // Its own switch on again: it serves.
    await admin.models.enable.mutate({ id: `${p}/m1` });
    expect(await ask("m1")).toBe(200);
  });

  it("ends a shared pool's cooldown with its model's, and takes a pool's own limits and reset", async () => {
    const g = gateway({ ADMIN_TOKEN: ADMIN });
    gw = g;
    const admin = adminClient(g, ADMIN);
    const model = "openrouter/openai/gpt-oss-20b:free";
    // OpenRouter's free-models-per-day: the whole openrouter:free pool cools until the reset.
    g.sim.addRule({ provider: "openrouter", times: 1, fault: { kind: "rate_limit", scope: "day" } });
    expect((await g.chat({ model, messages: [{ role: "user", content: "a" }] })).status).toBe(503);
    expect((await admin.pools.get.query({ id: "openrouter:free" })).status?.snapshot.cooldownUntil).toBeGreaterThan(Date.now() + 60_000);
    expect((await g.chat({ model, messages: [{ role: "user", content: "b" }] })).status).toBe(503);
    // The operator bought credits: resetting the model ends its pool's cooldown too.
    await admin.models.resetCooldown.mutate({ id: model });
    expect((await admin.pools.get.query({ id: "openrouter:free" })).status?.snapshot.cooldownUntil).toBe(0);
    // What holds it back now is what the provider said of the day (its 50 requests spent), no cooldown: with
    // credits the pool allows 1,000 a day, which the operator sets on the pool itself.
    const after = await g.chat({ model, messages: [{ role: "user", content: "c" }] });
    expect(after.status).toBe(503);
    expect(after.headers.get("x-freeway-route")).toMatch(/reason="(pool )?rpd"/);
    const set = await admin.pools.setLimits.mutate({ id: "openrouter:free", limits: { rpd: 1000 } });
    expect(set.limits.rpd).toBe(1000);
    expect(set.remaining.rpd).toBe(950);
    expect((await admin.pools.list.query()).find((p) => p.id === "openrouter:free")?.models).toContain(model);
    await expect(admin.pools.resetCooldown.mutate({ id: "nope:pool" })).rejects.toThrow(/No pool 'nope:pool'/);
  });

  it("explains a long request: the admin client sends queries in the body, not the URL", async () => {
    const p = uniqueProvider("l");
    const { g } = setup({ [p]: ["m"] });
    gw = g;
    const sent: Array<{ method: string; url: number }> = [];
    const admin = createAdminClient({
      url: "http://gateway.test",
      token: ADMIN,
      fetch: (input, init) => {
        const u = new URL(input instanceof Request ? input.url : String(input));
        sent.push({ method: init?.method ?? "GET", url: u.href.length });
        return g.fetch(`${u.pathname}${u.search}`, init ?? {});
      },
    });
    const body = { model: "auto", messages: [{ role: "user", content: "word ".repeat(12_000) }] };
    const explained = await admin.routing.explain.query({ body });
    expect(explained.candidates.map((c) => c.model)).toContain(`${p}/m`);
    expect(sent).toEqual([{ method: "POST", url: expect.any(Number) }]);
    // Cloudflare refuses URLs over 16 KB: this one carries only the procedure's name.
    expect(sent[0]?.url).toBeLessThan(200);
  });

  it("refuses to switch a wildcard provider off as a whole, rather than switch off nothing and say it did", async () => {
    const p = uniqueProvider("w");
    const g = gateway({ ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: JSON.stringify([{ id: p, baseUrl: "http://sim.test/openai/v1", models: "*" }]) }, { builtins: false });
    gw = g;
    await expect(adminClient(g, ADMIN).providers.disable.mutate({ id: p })).rejects.toThrow(/passes any model name through .* cannot be switched together/);
  });

  it("refuses a time range past year 9999 or ending before it starts, and reads at most 400 days of a longer one", async () => {
    const p = uniqueProvider("r");
    const { g, admin } = setup({ [p]: ["m"] });
    gw = g;
    const status = async (path: string, input: unknown): Promise<number> =>
      (await g.fetch(`/admin/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { authorization: `Bearer ${ADMIN}` } })).status;
    for (const path of ["analytics.summary", "analytics.timeseries", "analytics.requests"]) {
      expect(await status(path, { until: 8.7e15 }), path).toBe(400);
      expect(await status(path, { since: 8_639_999_000_000_000, until: 8_640_000_000_000_000 }), path).toBe(400);
      expect(await status(path, { since: 2_000_000, until: 1_000_000 }), path).toBe(400);
    }
    await expect(admin.analytics.summary.query({ since: 5, until: 4 })).rejects.toThrow(/'since' must be before 'until'/);
    // Since the epoch: the latest 400 days are read, at once.
    expect((await admin.analytics.summary.query({ since: 0 })).groups).toEqual(expect.any(Array));
  });

  it("explains a route without reserving anything, and answers through createCaller too", async () => {
    const p = uniqueProvider("e");
    const { g } = setup({ [p]: ["m1", { upstream: "m2", tools: false }] });
    gw = g;
    const caller = appRouter.createCaller({ env: g.env, operator: "test" });
    const body = { model: "auto", tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }], messages: [{ role: "user", content: "x" }] };
    const explained = await caller.routing.explain({ body });
    expect(explained.candidates.map((c) => c.model)).toContain(`${p}/m1`);
    expect(explained.excluded).toContainEqual({ model: `${p}/m2`, reason: "does not support tools" });
    expect(explained.winner).not.toBeNull();
    expect(g.sim.log()).toEqual([]);
    await expect(caller.routing.explain({ body: { model: "auto" } })).rejects.toThrow(/messages/);
    const providers = await caller.providers.list();
    expect(JSON.stringify(providers)).not.toContain("sim-key");
  });
});
