// Quota pacing through HTTP: a daily allowance is spread over the day (requests ahead of the pace are refused
// with a Retry-After), and high-priority gateway keys use the reserve the others may not touch.

import { afterEach, describe, expect, it, vi } from "vitest";
import { createAdminClient } from "../../admin-client/index.ts";
import { customProvider, gateway, uniqueProvider, type Gateway } from "../helpers/gateway.ts";
import { user } from "../helpers/integration.ts";

let gw: Gateway | undefined;
afterEach(() => {
  gw?.close();
  gw = undefined;
  vi.useRealTimers();
});

const ADMIN = "admin-token-for-tests";
const NOON = Date.UTC(2026, 10, 28, 12, 0, 0);

function setup() {
  const p = uniqueProvider("pace");
  const g = gateway(
    {
      ACCESS: "keys",
      ADMIN_TOKEN: ADMIN,
      CUSTOM_PROVIDERS: customProvider(p, [{ upstream: "m", limits: { rpd: 100 } }]),
      DAILY_PACING: "on",
      PACING_BURST_PERCENT: "50",
      PRIORITY_RESERVE_PERCENT: "10",
    },
    { builtins: false },
  );
  const admin = createAdminClient({
    url: "http://gateway.test",
    token: ADMIN,
    fetch: (input, init) => {
      const u = new URL(input instanceof Request ? input.url : String(input));
      return g.fetch(`${u.pathname}${u.search}`, init ?? {});
    },
  });
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
});
