// RequestLedger time series: buckets summed inside each day ledger (from the per-minute totals when unfiltered)
// must equal what the per-model minute rows add up to, for any bucket width and filter, across midnight, and for
// days logged before the totals existed.

import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MinuteRow, RequestLedger } from "../../objects/request-ledger.ts";
import type { RequestRecord } from "../../shared/analytics.ts";
import { addUpBuckets, timeseries, type Bucket } from "../../worker/analytics.ts";
import type { Env } from "../../worker/env.ts";
import { ledgerName } from "../../worker/ledger.ts";

const MODELS = [
  { model: "pa/m1", provider: "pa" },
  { model: "pa/m2", provider: "pa" },
  { model: "pb/m3", provider: "pb" },
];

/** Requests every 37 s over three hours: answered, failed over, broken streams, unanswered. */
function records(start: number, prefix: string): RequestRecord[] {
  return Array.from({ length: 300 }, (_, i) => {
    const m = MODELS[i % 3] as (typeof MODELS)[number];
    const other = MODELS[(i + 1) % 3] as (typeof MODELS)[number];
    const r: RequestRecord = {
      id: `${prefix}-${i}`,
      ts: start + i * 37_000,
      key: null,
      route: "chat",
      requested: "auto",
      model: m.model,
      provider: m.provider,
      status: 200,
      error: null,
      attempts: [{ ...m, outcome: "ok" }],
      latencyMs: 100 + (i % 17) * 13,
      ttftMs: i % 2 ? 40 + i : null,
      tokensIn: 10 + i,
      tokensOut: 5 + (i % 11),
      streamed: i % 2 === 1,
    };
    if (i % 5 === 0) return { ...r, attempts: [{ ...other, outcome: i % 10 ? "throttle" : "transient" }, ...r.attempts] };
    if (i % 13 === 0) return { ...r, error: "stream_error" };
    if (i % 7 === 0) return { ...r, model: null, provider: null, status: 503, error: "upstream_failed", attempts: [{ ...other, outcome: "transient" }], tokensIn: 0, tokensOut: 0, ttftMs: null };
    return r;
  });
}

/** The buckets as the gateway made them before the ledgers summed them: every minute row, added up here. */
function fromMinutes(rows: MinuteRow[], bucketMinutes: number, filter: { model?: string; provider?: string }): Bucket[] {
  const width = bucketMinutes * 60_000;
  const kept = rows.filter((r) => (filter.model === undefined || r.model === filter.model) && (filter.provider === undefined || r.provider === filter.provider));
  return addUpBuckets(kept.map((r) => ({ ...r, start: Math.floor(r.minute / width) * width })));
}

const FILTERS = [{}, { model: "pa/m2" }, { provider: "pb" }, { model: "" }, { model: "nobody" }];
const WIDTHS = [1, 7, 60, 1440];

/** Append as isolates do (batches of up to 200, to the ledger of each record's day); retention far off. */
async function seed(rs: RequestRecord[]): Promise<string[]> {
  const byDay = new Map<string, RequestRecord[]>();
  for (const r of rs) byDay.set(ledgerName(r.ts), [...(byDay.get(ledgerName(r.ts)) ?? []), r]);
  for (const [name, list] of byDay) {
    for (let i = 0; i < list.length; i += 200) await env.REQUEST_LEDGER.getByName(name).append(list.slice(i, i + 200), 7, Date.now() + 86_400_000);
  }
  return [...byDay.keys()];
}

describe("RequestLedger log", () => {
  it("gives back every field of every record as it was appended, text with quotes, newlines and emoji included", async () => {
    const start = Date.UTC(2003, 6, 8, 9);
    const rs = records(start, "rt").slice(0, 120).map((r, i) =>
      i % 4 === 0 ? { ...r, key: `key_${i}`, requested: `say "hi" \\ ${i} 🚀`, error: i % 8 ? null : "line one\nline two", route: "responses" as const } : r,
    );
    const [name] = await seed(rs);
    const got = await env.REQUEST_LEDGER.getByName(name as string).requests({ since: start, until: start + 86_400_000, limit: 1000 });
    expect(got).toEqual([...rs].sort((a, b) => b.ts - a.ts));
  });
});

describe("RequestLedger series", () => {
  it("buckets a range across midnight exactly as the minute rows add up, for every width and filter", async () => {
    const midnight = Date.UTC(2003, 4, 6);
    const rs = records(midnight - 90 * 60_000 + 13_000, "mid");
    const names = await seed(rs);
    expect(names).toEqual([ledgerName(midnight - 1), ledgerName(midnight)]);
    const since = midnight - 100 * 60_000;
    const until = midnight + 100 * 60_000;
    const minutes = (await Promise.all(names.map((n) => env.REQUEST_LEDGER.getByName(n).minutes(since, until)))).flat();
    expect(minutes.reduce((s, r) => s + r.requests, 0)).toBe(rs.length);
    for (const bucketMinutes of WIDTHS) {
      for (const filter of FILTERS) {
        const got = await timeseries(env as unknown as Env, since, until, bucketMinutes, filter);
        expect(got, `${bucketMinutes} min, ${JSON.stringify(filter)}`).toEqual(fromMinutes(minutes, bucketMinutes, filter));
      }
    }
    // A range that starts and ends inside the day: only its minutes count (the minute `since` falls in, whole).
    const inner = await timeseries(env as unknown as Env, midnight + 10 * 60_000 + 30_000, midnight + 40 * 60_000, 60);
    expect(inner).toEqual(fromMinutes(minutes.filter((r) => r.minute >= midnight + 10 * 60_000 && r.minute < midnight + 40 * 60_000), 60, {}));
    expect(inner[0]?.requests).toBeGreaterThan(0);
  });

  it("fills the per-minute totals of a day logged before they existed", async () => {
    const start = Date.UTC(2003, 5, 7, 10);
    const rs = records(start, "old");
    const [name] = await seed(rs);
    const stub: DurableObjectStub<RequestLedger> = env.REQUEST_LEDGER.getByName(name as string);
    const before = await stub.series(start, start + 4 * 3_600_000, 60_000);
    // Back to the schema before the totals (version 5 of the migrations), then open the actor afresh.
    await runInDurableObject(stub, (_ledger, state) => {
      state.storage.sql.exec("DROP TABLE minute_totals");
      state.storage.sql.exec("UPDATE meta SET value = '5' WHERE key = 'schema_version'");
    });
    await evictDurableObject(stub);
    const after = await env.REQUEST_LEDGER.getByName(name as string).series(start, start + 4 * 3_600_000, 60_000);
    expect(after).toEqual(before);
    expect(after.reduce((s, b) => s + b.requests, 0)).toBe(rs.length);
  });
});
