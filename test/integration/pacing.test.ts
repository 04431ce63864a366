// Quota pacing through HTTP: a daily allowance is spread over the day (requests ahead of the pace are refused
// with a Retry-After), and high-priority gateway keys use the reserve the others may not touch.

import { afterEach, describe, expect, it, vi } from "vitest";
import { adminClient, customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
  vi.useRealTimers();
});

const ADMIN = "admin-token-for-tests";
const NOON = Date.UTC(2026, 10, 28, 12, 0, 0);

/** A keys-mode gateway with one paced model allowed `rpd` requests a day, and its admin client. */
function setup(rpd = 100, settings: Record<string, string> = { PACING_BURST_PERCENT: "50" }) {
  const p = uniqueProvider("pace");
  const g = gateway(
    {
      ACCESS: "keys",
      ADMIN_TOKEN: ADMIN,
      CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m", limits: { rpd } }]),
      DAILY_PACING: "on",
      PRIORITY_RESERVE_PERCENT: "10",
      ...settings,
    },
    { builtins: false },
  );
  const admin = adminClient(g, ADMIN);
  return { g, admin, model: `${p}/m` };
}

describe("quota pacing", () => {
  it("spreads a 100-a-day allowance over the day and keeps its reserve for high-priority keys", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOON);
    const { g, admin, model } = setup();
    gw = g;
    const normal = (await admin.keys.create.mutate({ label: "batch jobs" })).key;
    const high = await admin.keys.create.mutate({ label: "on-call", priority: "high" });
    expect(high.record.priority).toBe("high");

    // By noon the pace allows 50 % + 50 % × ½ = 75 of 100; normal keys stop 10 % short of that: 67.
    let served = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const res = await g.chat({ model, messages: user(`n${i}`) }, { authorization: `Bearer ${normal}` });
      if (res.status === 200) served++;
      else refused = res;
    }
    expect(served).toBe(67);
    expect(refused?.status).toBe(503);
    // It says when the pace will allow another one (minutes away, not the next day).
    const wait = Number(refused?.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThan(3600);
    expect(refused?.headers.get("x-freeway-route")).toContain(`${model};skipped;reason="paced"`);

    // The high-priority key is still served from the reserve, up to the pace itself (75).
    let highServed = 0;
    for (let i = 0; i < 20; i++) {
      const res = await g.chat({ model, messages: user(`h${i}`) }, { authorization: `Bearer ${high.key}` });
      if (res.status === 200) highServed++;
      else break;
    }
    expect(highServed).toBe(8);
    // Upstream saw exactly what was admitted: the allowance itself was never exhausted.
    expect(g.sim.log().length).toBe(75);

    // Later in the day the pace allows more for everyone: by 18:00, 87.5 (normal keys: 78).
    vi.setSystemTime(NOON + 6 * 3_600_000);
    expect((await g.chat({ model, messages: user("later") }, { authorization: `Bearer ${normal}` })).status).toBe(200);
  });

  it("lets no credit a high-priority request was granted serve normal keys beyond their share", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 10, 27, 18));
    // 200 a day, 60 % kept for high priority: normal keys get 80. Not paced, so credit is granted.
    const { g, admin, model } = setup(200, { DAILY_PACING: "off", PRIORITY_RESERVE_PERCENT: "60", CREDIT_MS: "1000" });
    gw = g;
    const normal = (await admin.keys.create.mutate({ label: "batch" })).key;
    const high = (await admin.keys.create.mutate({ label: "on-call", priority: "high" })).key;
    const ask = async (key: string, i: number): Promise<number> => {
      const r = await g.fetch("/v1/chat/completions", { method: "POST", headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model, messages: user(`${i}`) }), background: true });
      await r.arrayBuffer();
      return r.status;
    };
    let served = 0;
    for (let i = 0; i < 100 && (await ask(normal, i)) === 200; i++) served++;
    expect(served).toBe(80);
    // A busy high-priority caller: its bids ask for credit too.
    for (let i = 0; i < 3; i++) expect(await ask(high, 100 + i)).toBe(200);
    // Normal requests right after, in the same isolate: still refused.
    const after: number[] = [];
    for (let i = 0; i < 10; i++) after.push(await ask(normal, 200 + i));
    expect(after.filter((s) => s === 200)).toEqual([]);
  }, 30_000);

  it("changes a key's priority through the admin API, effective on the next request", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOON);
    const { g, admin, model } = setup();
    gw = g;
    const { key, record } = await admin.keys.create.mutate({ label: "team" });
    expect(record.priority).toBe("normal");
    for (let i = 0; i < 67; i++) expect((await g.chat({ model, messages: user(`n${i}`) }, { authorization: `Bearer ${key}` })).status).toBe(200);
    expect((await g.chat({ model, messages: user("over") }, { authorization: `Bearer ${key}` })).status).toBe(503);
    const updated = await admin.keys.setQuota.mutate({ id: record.id, priority: "high" });
    expect(updated.priority).toBe("high");
    expect((await g.chat({ model, messages: user("now high") }, { authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it("over a whole simulated day through HTTP (cap 1,000, 2 requests a minute): never exhausted before the reset, high-priority served to the end", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const day = Date.UTC(2026, 10, 29);
    vi.setSystemTime(day);
    // Defaults: a 10 % burst at the start of the day, 10 % of the allowance kept for high-priority keys. Refusals
    // are answered at once (a wait would be real time under this simulated clock).
    const { g, admin, model } = setup(1000, { PACING_BURST_PERCENT: "10", MAX_RETRY_WAIT_MS: "0" });
    gw = g;
    const normal = (await admin.keys.create.mutate({ label: "steady traffic" })).key;
    const high = (await admin.keys.create.mutate({ label: "on-call", priority: "high" })).key;

    const servedByHour = Array.from({ length: 24 }, () => 0);
    const lateHigh = { asked: 0, served: 0 };
    let lateNormalRefused = 0;
    let served = 0;
    for (let i = 0; i < 2880; i++) {
      const now = day + i * 30_000;
      vi.setSystemTime(now);
      const isHigh = (i + 1) % 10 === 0;
      const late = now >= day + 20 * 3_600_000;
      const res = await g.chat({ model, messages: user(`d${i}`) }, { authorization: `Bearer ${isHigh ? high : normal}` });
      expect([200, 503]).toContain(res.status);
      await res.body?.cancel();
      if (res.status === 200) {
        served++;
        const hour = Math.floor((now - day) / 3_600_000);
        servedByHour[hour] = (servedByHour[hour] ?? 0) + 1;
      }
      if (isHigh && late) {
        lateHigh.asked++;
        if (res.status === 200) lateHigh.served++;
      }
      if (!isHigh && late && res.status !== 200) lateNormalRefused++;
    }
    console.log(`simulated day: ${served} of 2,880 requests served (cap 1,000); per hour ${servedByHour.join(" ")}; high-priority in the last 4 h: ${lateHigh.served}/${lateHigh.asked}`);
    // Demand was 2,880; the allowance was never exhausted before the reset, and most of it was used.
    expect(served).toBeLessThan(1000);
    expect(served).toBeGreaterThan(950);
    expect(g.sim.log().length).toBe(served);
    // Spread over the day: answers in every hour, not all by the morning.
    for (const n of servedByHour) expect(n).toBeGreaterThan(0);
    // It ran low for normal keys late in the day, and every high-priority request was still served.
    expect(lateNormalRefused).toBeGreaterThan(0);
    expect(lateHigh.asked).toBe(48);
    expect(lateHigh.served).toBe(48);
  }, 120_000);
});
