// Access control: gateway keys through the typed admin client, per-client limits, CORS, the admin token.

import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { limiterName } from "../../objects/key-registry.ts";
import { sha256Hex } from "../../shared/hash.ts";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";

let gw: Gateway | undefined;

/**
 * An address no other test in this file counts against: their limiters live on for the file's run, so two tests
 * drawing the same address would share (and spend) one allowance.
 */
let addresses = 0;
const uniqueAddress = (): string => `198.51.100.${++addresses}`;
afterEach(() => {
  gw?.close();
  vi.useRealTimers();
});

const ADMIN = "admin-token-for-tests";
const user = (content = "hi") => [{ role: "user", content }];

/** A keys-mode gateway with one fresh custom provider (its own actors), and the admin client wired to it. */
function closedGateway(settings: Record<string, string> = {}) {
  const p = uniqueProvider();
  const g = gateway({ ACCESS: "keys", ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, ["m1", "m2"]), ...settings }, { builtins: false });
  const admin = adminClient(g, ADMIN);
  return { g, admin, model: `${p}/m1`, provider: p };
}

async function chatWith(g: Gateway, key: string | null, body: Record<string, unknown>): Promise<Response> {
  return g.chat(body, key ? { authorization: `Bearer ${key}` } : {});
}

describe("gateway keys", () => {
  it("refuses calls without a key in keys mode, and unknown keys, sending nothing upstream", async () => {
    const { g, model } = closedGateway();
    gw = g;
    const none = await chatWith(g, null, { model, messages: user() });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
    const wrong = await chatWith(g, "fw_not-a-real-key", { model, messages: user() });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: "invalid_api_key" });
    expect(g.sim.log()).toEqual([]);
  });

  it.each([
    ["", "0"],
    [", with credit", "1000"],
  ])("lives through create → use → list → re-quota → revoke, effective on the very next request%s", async (_, credit) => {
    const { g, admin, model } = closedGateway({ CREDIT_MS: credit });
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "team-a" });
    expect(key).toMatch(/^fw_[A-Za-z0-9]{40}$/);
    expect(record).toMatchObject({ label: "team-a", revokedAt: null, hint: key.slice(-4) });

    const ok = await chatWith(g, key, { model, messages: user() });
    expect(ok.status).toBe(200);
    // x-api-key works as well as Bearer.
    expect((await g.chat({ model, messages: user() }, { "x-api-key": key })).status).toBe(200);

    const listed = await admin.keys.list.query();
    expect(listed.map((k) => k.id)).toContain(record.id);
    expect(JSON.stringify(listed)).not.toContain(key);

    await admin.keys.setQuota.mutate({ id: record.id, quota: { rpm: 1 } });
    const first = await chatWith(g, key, { model, messages: user() });
    expect(first.status).toBe(200);
    const limited = await chatWith(g, key, { model, messages: user() });
    expect(limited.status).toBe(429);

    await admin.keys.setQuota.mutate({ id: record.id, quota: {} });
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(200);
    await admin.keys.revoke.mutate({ id: record.id });
    const revoked = await chatWith(g, key, { model, messages: user() });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
  });

  it("revokes a key on a retried revoke whose first hand-over to the key's limiter failed", async () => {
    const { g, admin, model } = closedGateway();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "retry" });
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(200);
    // What a revoke leaves when its push to the limiter fails: the registry says revoked, the limiter does not.
    await runInDurableObject(g.env.KEY_REGISTRY.getByName("registry"), (_instance, state) => {
      const row = state.storage.sql.exec<{ record: string }>("SELECT record FROM keys WHERE id = ?", record.id).one();
      state.storage.sql.exec("UPDATE keys SET record = ? WHERE id = ?", JSON.stringify({ ...JSON.parse(row.record), revokedAt: Date.now() }), record.id);
    });
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(200);
    // The operator retries.
    expect((await admin.keys.revoke.mutate({ id: record.id }))?.revokedAt).not.toBeNull();
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(401);
  });

  it("keeps a revoked key revoked when an earlier change's hand-over to its limiter arrives after the revoke", async () => {
    const { g, admin, model } = closedGateway();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "overtaken" });
    const requoted = await admin.keys.setQuota.mutate({ id: record.id, quota: { rpd: 100 } });
    await admin.keys.revoke.mutate({ id: record.id });
    // The quota change's hand-over (version 2: create was 1) was overtaken by the revoke's (3) and arrives now.
    await g.env.CLIENT_LIMITER.getByName(limiterName(await sha256Hex(key))).setRecord(requoted, 2);
    const res = await chatWith(g, key, { model, messages: user() });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    expect(g.sim.log()).toEqual([]);
  });

  it.each([
    ["", "0"],
    [", with credit", "1000"],
  ])("admits exactly a key's per-minute quota out of 200 concurrent requests%s", async (_, credit) => {
    const { g, admin, model } = closedGateway({ CREDIT_MS: credit });
    gw = g;
    const { key } = await admin.keys.create.mutate({ label: "burst", quota: { rpm: 25 } });
    const results = await Promise.all(Array.from({ length: 200 }, () => chatWith(g, key, { model, messages: user() })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(25);
    expect(statuses.filter((s) => s === 429)).toHaveLength(175);
    const refused = results.find((r) => r.status === 429) as Response;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe("rate_limit_error");
    expect(g.sim.log()).toHaveLength(25);
  });

  it("enforces a daily token quota with the tokens answers really used", async () => {
    const { g, admin, model } = closedGateway();
    gw = g;
    const { key } = await admin.keys.create.mutate({ label: "tokens", quota: { tpd: 30 } });
    // Each answer uses ~12 completion + a few prompt tokens: the third request finds the quota spent.
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await chatWith(g, key, { model, messages: user() })).status);
    expect(codes.slice(0, 2)).toEqual([200, 200]);
    expect(codes.at(-1)).toBe(429);
  });

  it("narrows candidates to a key's model allow-list and refuses models outside it", async () => {
    const { g, admin, provider } = closedGateway();
    gw = g;
    const { key } = await admin.keys.create.mutate({ label: "only-m2", models: [`${provider}/m2`] });
    const auto = await chatWith(g, key, { model: "auto", messages: user() });
    expect(auto.status).toBe(200);
    expect(((await auto.json()) as { model: string }).model).toBe(`${provider}/m2`);
    const denied = await chatWith(g, key, { model: `${provider}/m1`, messages: user() });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("model_not_allowed");
    // An empty allow-list would allow nothing: refused, pointing at null for every model.
    for (const change of [() => admin.keys.create.mutate({ label: "none", models: [] }), () => admin.keys.setQuota.mutate({ id: "key_x", models: [] })]) {
      await expect(change()).rejects.toThrow(/name at least one model, preset or pattern \(null allows every model\)/);
    }
    // A name that matches nothing (a typo) would refuse the key everywhere: refused, by name, and nothing changes.
    const { record } = await admin.keys.create.mutate({ label: "patterns", models: [`${provider}/*`, "auto:fast"] });
    for (const change of [
      () => admin.keys.create.mutate({ label: "typo", models: [`${provider}/m2`, `${provider}/m3`, "gpt-4o-typo"] }),
      () => admin.keys.setQuota.mutate({ id: record.id, models: ["nosuchprovider/*"] }),
    ]) {
      await expect(change()).rejects.toThrow(/models: '(.+\/m3', 'gpt-4o-typo' name|nosuchprovider\/\*' names) no model, '<provider>\/\*', family or preset this gateway knows/);
    }
    const listed = await admin.keys.list.query();
    expect(listed.filter((k) => k.label === "typo")).toEqual([]);
    expect(listed.find((k) => k.id === record.id)?.models).toEqual([`${provider}/*`, "auto:fast"]);
  });

  it("lets an allow-list name a preset: the key may use every model that preset routes to, and no other", async () => {
    const p = uniqueProvider();
    const g = gateway(
      { ACCESS: "keys", ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "big", tier: "large" }, { upstream: "small", tier: "small" }]) },
      { builtins: false },
    );
    gw = g;
    const admin = adminClient(g, ADMIN);
    const { key } = await admin.keys.create.mutate({ label: "smart-only", models: ["auto:smart"] });
    const smart = await chatWith(g, key, { model: "auto", messages: user() });
    expect(smart.status).toBe(200);
    expect(((await smart.json()) as { model: string }).model).toBe(`${p}/big`);
    expect((await chatWith(g, key, { model: "auto:smart", messages: user() })).status).toBe(200);
    expect((await chatWith(g, key, { model: `${p}/small`, messages: user() })).status).toBe(403);
    const { key: any } = await admin.keys.create.mutate({ label: "auto", models: ["auto"] });
    expect((await chatWith(g, any, { model: `${p}/small`, messages: user() })).status).toBe(200);
  });

  it("serves the public read endpoints without a key, showing no key data", async () => {
    const { g, admin } = closedGateway();
    gw = g;
    const { key } = await admin.keys.create.mutate({ label: "secret-label-xyz" });
    for (const path of ["/v1/models", "/v1/routing/status", "/health"]) {
      const res = await g.fetch(path);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toContain(key);
      expect(text).not.toContain("secret-label-xyz");
    }
  });
});

describe("the admin API", () => {
  it("is off without ADMIN_TOKEN, and refuses a wrong token", async () => {
    const p = uniqueProvider();
    gw = gateway({ ACCESS: "keys", ADMIN_TOKEN: "", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const off = await gw.fetch("/admin/trpc/keys.list");
    expect(off.status).toBe(403);
    expect(((await off.json()) as { error: { code: string } }).error.code).toBe("admin_disabled");
    gw.close();
    gw = gateway({ ACCESS: "keys", ADMIN_TOKEN: ADMIN, CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    expect((await gw.fetch("/admin/trpc/keys.list")).status).toBe(401);
    expect((await gw.fetch("/admin/trpc/keys.list", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await gw.fetch("/admin/trpc/keys.list", { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  });
});

describe("requests that go ahead while their limiter decides", () => {
  /** Actor calls this isolate has made so far (the Worker runs in the test's isolate). */
  async function actorCalls(g: Gateway): Promise<number> {
    return ((await (await g.fetch("/health")).json()) as { isolate: { actor_rpcs: number } }).isolate.actor_rpcs;
  }

  async function remaining(g: Gateway, provider: string, model: string): Promise<Record<string, number> | undefined> {
    const status = (await (await g.fetch("/v1/routing/status")).json()) as { providers: Array<{ id: string; models: Array<{ id: string; remaining: Record<string, number> }> }> };
    return status.providers.find((p) => p.id === provider)?.models.find((m) => m.id === model)?.remaining;
  }

  it("refuses a key revoked since its last request, though the auction already ran: nothing upstream, the reservation given back", async () => {
    const { g, admin, model, provider } = closedGateway();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "went-ahead" });
    // Admitted once: this isolate now knows the key has room, so its next request need not wait for the limiter.
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const before = await remaining(g, provider, model);
    await admin.keys.revoke.mutate({ id: record.id });
    const calls = g.sim.log().length;
    const rpcs = await actorCalls(g);

    const revoked = await chatWith(g, key, { model, messages: user() });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { message: string } }).error.message).toMatch(/revoked/);
    // It went ahead: the limiter's answer, a bid and the release of what the bid reserved (not just the first).
    expect((await actorCalls(g)) - rpcs).toBeGreaterThanOrEqual(3);
    expect(g.sim.log()).toHaveLength(calls);
    await new Promise((r) => setTimeout(r, 50));
    expect(await remaining(g, provider, model)).toEqual(before);
  });

  it("routes by the key's new allow-list when it changed since the isolate last saw it", async () => {
    const { g, admin, provider } = closedGateway();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "moved", models: [`${provider}/m1`] });
    expect((await chatWith(g, key, { model: `${provider}/m1`, messages: user() })).status).toBe(200);
    await admin.keys.setQuota.mutate({ id: record.id, models: [`${provider}/m2`] });
    const calls = g.sim.log().length;
    const denied = await chatWith(g, key, { model: `${provider}/m1`, messages: user() });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { code: string } }).error.code).toBe("model_not_allowed");
    expect(g.sim.log()).toHaveLength(calls);
    const auto = await chatWith(g, key, { model: "auto", messages: user() });
    expect(((await auto.json()) as { model: string }).model).toBe(`${provider}/m2`);
  });

  it("hears a refusal before a bad body even when it went ahead", async () => {
    const { g, admin, model } = closedGateway();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "bad-body" });
    expect((await chatWith(g, key, { model, messages: user() })).status).toBe(200);
    await admin.keys.revoke.mutate({ id: record.id });
    const res = await chatWith(g, key, { model, messages: "not a list" });
    expect(res.status).toBe(401);
  });
});

describe("anonymous callers in open mode", () => {
  it("lets one address send exactly 10 of 200 parallel requests, then 20 a minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const p = uniqueProvider();
    gw = gateway({ ACCESS: "open", ANON_BURST: "10", ANON_RPM: "20", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const g = gw;
    const ip = { "cf-connecting-ip": uniqueAddress() };
    const burst = await Promise.all(Array.from({ length: 200 }, () => g.chat({ model: `${p}/m1`, messages: user() }, ip)));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(10);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(190);
    // Over the next minute, trying 5 times every 3 s, the allowance refills at exactly 20 a minute.
    let later = 0;
    for (let step = 0; step < 20; step++) {
      vi.setSystemTime(Date.now() + 3000);
      const round = await Promise.all(Array.from({ length: 5 }, () => g.chat({ model: `${p}/m1`, messages: user() }, ip)));
      later += round.filter((r) => r.status === 200).length;
    }
    expect(later).toBe(20);
    // Another address has its own allowance.
    expect((await g.chat({ model: `${p}/m1`, messages: user() }, { "cf-connecting-ip": uniqueAddress() })).status).toBe(200);
  });

  // (Without the fake clock of the test above: credit lapses by the clock, and a frozen one never lets it.)
  it("lets one address send exactly 100 of 400 parallel requests with credit", async () => {
    const p = uniqueProvider();
    gw = gateway({ ACCESS: "open", ANON_BURST: "100", ANON_RPM: "100", CUSTOM_PROVIDERS: customProvider(p, ["m1"]), CREDIT_MS: "1000" }, { builtins: false });
    const g = gw;
    const ip = { "cf-connecting-ip": uniqueAddress() };
    const burst = await Promise.all(Array.from({ length: 400 }, () => g.chat({ model: `${p}/m1`, messages: user() }, ip)));
    expect(burst.filter((r) => r.status === 200)).toHaveLength(100);
    expect(burst.filter((r) => r.status === 429)).toHaveLength(300);
    expect(g.sim.log().filter((e) => e.endpoint === "chat")).toHaveLength(100);
  });

  it("treats a token that is no gateway key as anonymous in open mode (SDKs always send one)", async () => {
    const p = uniqueProvider();
    gw = gateway({ ACCESS: "open", ANON_BURST: "2", ANON_RPM: "1", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const headers = { authorization: "Bearer unused-locally", "cf-connecting-ip": "192.0.2.200" };
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await gw.chat({ model: `${p}/m1`, messages: user() }, headers)).status);
    expect(codes).toEqual([200, 200, 429]);
  });

  it("counts a client by what it cannot write: CF-Connecting-IP only on Cloudflare, X-Forwarded-For's last hop, an IPv6 /64", async () => {
    const p = uniqueProvider();
    const settings = { ACCESS: "open", ANON_BURST: "2", ANON_RPM: "1", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) };
    const codes = async (g: Gateway, headers: (i: number) => Record<string, string>, edge = true): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) {
        const init = { method: "POST", headers: { "content-type": "application/json", ...headers(i) }, body: JSON.stringify({ model: `${p}/m1`, messages: user() }) };
        out.push((await g.fetch("/v1/chat/completions", edge ? init : { ...init, cf: undefined })).status);
      }
      return out;
    };
    const n = Math.floor(Math.random() * 200);
    // Self-hosted (no edge, no `cf`): a CF-Connecting-IP the client made up is no address of its own.
    gw = gateway(settings, { builtins: false });
    expect(await codes(gw, (i) => ({ "cf-connecting-ip": `203.0.113.${i}` }), false)).toEqual([200, 200, 429, 429]);
    gw.close();
    // Behind a trusted proxy: the hop it appended counts, whatever the client put before it.
    gw = gateway({ ...settings, TRUST_FORWARDED_FOR: "true" }, { builtins: false });
    const hop = uniqueAddress();
    expect(await codes(gw, (i) => ({ "x-forwarded-for": `10.0.0.${i}, ${hop}` }), false)).toEqual([200, 200, 429, 429]);
    // One IPv6 network, a different host address each time: one allowance. On Cloudflare the edge's header counts.
    expect(await codes(gw, (i) => ({ "cf-connecting-ip": `2001:db8:${n.toString(16)}:7::${i + 1}` }))).toEqual([200, 200, 429, 429]);
    expect(await codes(gw, (i) => ({ "cf-connecting-ip": `2001:db8:${n.toString(16)}:${i + 8}::1` }))).toEqual([200, 200, 200, 200]);
  });

  it("puts X-RateLimit-* on every API response, errors included", async () => {
    const p = uniqueProvider();
    gw = gateway({ ACCESS: "open", ANON_BURST: "10", ANON_RPM: "20", CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const ip = { "cf-connecting-ip": "192.0.2.77" };
    const ok = await gw.chat({ model: `${p}/m1`, messages: user() }, ip);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("10");
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("9");
    expect(Number(ok.headers.get("x-ratelimit-reset"))).toBeGreaterThan(0);
    const bad = await gw.chat({ model: `${p}/m1`, messages: [] }, ip);
    expect(bad.status).toBe(400);
    expect(bad.headers.get("x-ratelimit-remaining")).toBe("8");
    const models = await gw.fetch("/v1/models", { headers: ip });
    expect(models.headers.get("x-ratelimit-remaining")).toBe("7");
  });
});

describe("hardened input", () => {
  it("refuses bodies nested too deeply or with over-long arrays", async () => {
    const p = uniqueProvider();
    gw = gateway({ CUSTOM_PROVIDERS: customProvider(p, ["m1"]) }, { builtins: false });
    const deep = `{"model":"auto","messages":[{"role":"user","content":"x"}],"x":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const r1 = await gw.fetch("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: deep });
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as { error: { message: string } }).error.message).toMatch(/nests deeper/);
    const long = JSON.stringify({ model: "auto", messages: user(), x: Array.from({ length: 20_000 }, () => 1) });
    const r2 = await gw.fetch("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: long });
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as { error: { message: string } }).error.message).toMatch(/array of 20000/);
    expect(gw.sim.log()).toEqual([]);
  });
});

describe("CORS", () => {
  it("sends no CORS headers unless origins are configured", async () => {
    gw = gateway();
    const res = await gw.fetch("/v1/models", { headers: { origin: "https://app.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers preflights and marks responses for allowed origins only", async () => {
    gw = gateway({ CORS_ORIGINS: "https://app.example, https://other.example" });
    const pre = await gw.fetch("/v1/chat/completions", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toContain("authorization");
    const denied = await gw.fetch("/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
    const res = await gw.fetch("/v1/models", { headers: { origin: "https://other.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://other.example");
    expect(res.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining");
  });
});
