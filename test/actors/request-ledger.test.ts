// RequestLedger: the log gives back what was appended, filtered and paged as a scan of every record would; time
// series summed inside each day ledger (from the per-minute totals when unfiltered) must equal what the per-model
// minute rows add up to, for any bucket width and filter, across midnight, and for days logged before the totals
// and the batched log existed.

import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
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

  it("filters and pages exactly as a scan of every record would, over batches whose times overlap", async () => {
    const start = Date.UTC(2003, 7, 9, 8);
    // Isolates send batches that overlap in time (a long stream is logged when it ends, under its start time):
    // here each batch of 50 holds records from all over three hours, in no order.
    // Keys include one written differently by JSON than as it is, and one that is another field's value elsewhere.
    const keyOf = (i: number): string | null => (i % 3 ? null : i % 7 === 0 ? 'ké"y\\' : i % 11 === 0 ? "pa/m2" : `key_${i % 4}`);
    const rs = records(start, "pg").map((r, i) => ({ ...r, ts: start + ((i * 7919) % 300) * 37_000 + i, key: keyOf(i) }));
    const byDay = ledgerName(start);
    for (let i = 0; i < rs.length; i += 50) await env.REQUEST_LEDGER.getByName(byDay).append(rs.slice(i, i + 50), 7, Date.now() + 86_400_000);
    const stub = env.REQUEST_LEDGER.getByName(byDay);
    const newest = [...rs].sort((a, b) => b.ts - a.ts);
    const filters: Array<Parameters<typeof stub.requests>[0]> = [
      {},
      { limit: 7 },
      { model: "pa/m2", limit: 10 },
      { provider: "pb", status: "ok", limit: 25 },
      { status: "error", limit: 5 },
      { key: "key_0", limit: 3 },
      { key: "key_2", status: "error" },
      { key: 'ké"y\\', limit: 8 },
      { key: "pa/m2" },
      { key: "pa/m2", model: "pa/m2", route: "chat" },
      { route: "responses" },
      { model: "nobody" },
      { since: start + 3_600_000, until: start + 2 * 3_600_000, limit: 20 },
      { before: start + 3_600_000, limit: 15 },
    ];
    for (const f of filters) {
      const want = newest.filter(
        (r) =>
          (f.since === undefined || r.ts >= f.since) &&
          (f.until === undefined || r.ts < f.until) &&
          (f.before === undefined || r.ts < f.before) &&
          (f.model === undefined || r.model === f.model) &&
          (f.provider === undefined || r.provider === f.provider) &&
          (f.key === undefined || r.key === f.key) &&
          (f.route === undefined || r.route === f.route) &&
          // A stream that broke after its head (status 200 with an error) failed: the rollups count it so too.
          (f.status === undefined || (r.status < 400 && r.error === null) === (f.status === "ok")),
      );
      expect(await stub.requests(f), JSON.stringify(f)).toEqual(want.slice(0, f.limit ?? 100));
    }
    // Paging with each page's oldest record as the next cursor walks the whole log once.
    const pages: RequestRecord[] = [];
    for (let before: number | undefined; ; ) {
      const page = await stub.requests({ before, limit: 40 });
      if (page.length === 0) break;
      pages.push(...page);
      before = (page[page.length - 1] as RequestRecord).ts;
    }
    expect(pages).toEqual(newest);
  });

  it("pages by (time, id) through records that share a millisecond, each exactly once", async () => {
    const start = Date.UTC(2003, 7, 10, 8);
    // Workers' clocks stand still between I/O: requests finished together share a millisecond.
    const rs = records(start, "tie").slice(0, 10).map((r, i) => ({ ...r, ts: start + Math.floor(i / 4) }));
    const name = ledgerName(start);
    await env.REQUEST_LEDGER.getByName(name).append(rs.slice(0, 6), 7, Date.now() + 86_400_000);
    await env.REQUEST_LEDGER.getByName(name).append(rs.slice(6), 7, Date.now() + 86_400_000);
    const stub = env.REQUEST_LEDGER.getByName(name);
    const pages: RequestRecord[] = [];
    for (let cursor: { before: number; beforeId: string } | object = {}; ; ) {
      const page = await stub.requests({ ...cursor, limit: 3 });
      if (page.length === 0) break;
      pages.push(...page);
      const last = page[page.length - 1] as RequestRecord;
      cursor = { before: last.ts, beforeId: last.id };
    }
    const newest = [...rs].sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1));
    expect(pages.map((r) => r.id)).toEqual(newest.map((r) => r.id));
  });

  it("keeps a batch too long for one stored value as several, losing nothing", async () => {
    const start = Date.UTC(2003, 8, 10, 8);
    const rs = records(start, "big")
      .slice(0, 200)
      .map((r, i) => ({ ...r, requested: `${"x".repeat(4000)}${i}` }));
    const [name] = await seed(rs);
    const stub = env.REQUEST_LEDGER.getByName(name as string);
    expect(await stub.requests({ limit: 1000 })).toEqual([...rs].sort((a, b) => b.ts - a.ts));
    await runInDurableObject(stub, (_ledger, state) => {
      const rows = state.storage.sql.exec<{ n: number; longest: number }>("SELECT COUNT(*) AS n, MAX(LENGTH(records)) AS longest FROM request_batches").one();
      expect(rows.n).toBeGreaterThan(1);
      expect(rows.longest).toBeLessThanOrEqual(512 * 1024);
    });
  });
});

describe("RequestLedger retention", () => {
  it("drops its day at the retention alarm and goes on answering, empty, and logging", async () => {
    const start = Date.UTC(2003, 9, 11, 8);
    const rs = records(start, "ret").slice(0, 20);
    const [name] = await seed(rs);
    const stub = env.REQUEST_LEDGER.getByName(name as string);
    expect(await stub.requests({})).toHaveLength(20);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The same object, still in memory: its tables are empty, not gone.
    expect(await stub.requests({})).toEqual([]);
    expect(await stub.aggregate(start, start + 86_400_000)).toEqual([]);
    expect(await stub.series(start, start + 86_400_000, 3_600_000)).toEqual([]);
    await stub.append(rs.slice(0, 1), 7, Date.now() + 86_400_000);
    expect(await stub.requests({})).toHaveLength(1);
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

  it("opens a day logged before the per-minute totals and the batched log existed with the same series and log", async () => {
    const start = Date.UTC(2003, 5, 7, 10);
    const rs = records(start, "old");
    const [name] = await seed(rs);
    const stub: DurableObjectStub<RequestLedger> = env.REQUEST_LEDGER.getByName(name as string);
    const before = await stub.series(start, start + 4 * 3_600_000, 60_000);
    const log = await stub.requests({ since: start, limit: 1000 });
    expect(log).toHaveLength(rs.length);
    // Back to the schema of version 5 (no totals; the log a row per record), then open the actor afresh.
    await runInDurableObject(stub, (_ledger, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE minute_totals");
      sql.exec("DROP TABLE request_batches");
      sql.exec("ALTER TABLE minutes DROP COLUMN calls");
      sql.exec("DROP TABLE appended");
      sql.exec(`CREATE TABLE requests (
         id TEXT NOT NULL, ts INTEGER NOT NULL, key TEXT, route TEXT NOT NULL, requested TEXT NOT NULL,
         model TEXT, provider TEXT, status INTEGER NOT NULL, error TEXT, attempts TEXT NOT NULL,
         latency INTEGER NOT NULL, ttft INTEGER, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, streamed INTEGER NOT NULL
       )`);
      sql.exec("CREATE INDEX requests_ts ON requests (ts)");
      for (const r of rs) {
        sql.exec(
          "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          r.id, r.ts, r.key, r.route, r.requested, r.model, r.provider, r.status, r.error, JSON.stringify(r.attempts),
          r.latencyMs, r.ttftMs, r.tokensIn, r.tokensOut, r.streamed ? 1 : 0,
        );
      }
      // One row whose attempts are not JSON (none were ever written so): the day must open all the same.
      sql.exec(
        "INSERT INTO requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "old-garbled", start - 1, null, "chat", "auto", null, null, 503, "upstream_failed", "[{garbled", 5, null, 0, 0, 0,
      );
      sql.exec("UPDATE meta SET value = '5' WHERE key = 'schema_version'");
    });
    await evictDurableObject(stub);
    const reopened = env.REQUEST_LEDGER.getByName(name as string);
    const after = await reopened.series(start, start + 4 * 3_600_000, 60_000);
    expect(after).toEqual(before);
    expect(after.reduce((s, b) => s + b.requests, 0)).toBe(rs.length);
    expect(await reopened.requests({ since: start, limit: 1000 })).toEqual(log);
    // Filtered too: the migrated batches' text was written by SQLite, not by the ledger.
    expect(await reopened.requests({ since: start, model: "pa/m2", route: "chat", limit: 1000 })).toEqual(log.filter((r) => r.model === "pa/m2"));
    expect(log.filter((r) => r.model === "pa/m2").length).toBeGreaterThan(50);
    expect(await reopened.requests({ until: start, limit: 1000 })).toEqual([
      { id: "old-garbled", ts: start - 1, key: null, route: "chat", requested: "auto", model: null, provider: null, status: 503, error: "upstream_failed", attempts: [], latencyMs: 5, ttftMs: null, tokensIn: 0, tokensOut: 0, streamed: false },
    ]);
    await runInDurableObject(reopened, (_ledger, state) => {
      const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray();
      expect(tables.map((t) => t.name)).not.toContain("requests");
    });
  });
});
