// RequestLedger: one Durable Object per UTC day holding that day's request log (metadata only) and its rollups:
// per minute and model (counters, for charts), per minute over all models (the same counters summed, so a
// week-long chart reads one row a minute, not one per model), and per hour and model (counters and latency
// histograms, for percentiles over days).
// Isolates send records in batches, so logging costs no actor call on a request's path.

import { DurableObject } from "cloudflare:workers";
import { type Aggregate, addTo, type Counters, emptyAggregate, type Histogram, merge, mergeAggregate, type RequestRecord, type StoredRecord, stored, unstored } from "../shared/analytics.ts";
import { migrate } from "./sql.ts";

const MIGRATIONS = [
  `CREATE TABLE requests (
     id TEXT NOT NULL, ts INTEGER NOT NULL, key TEXT, route TEXT NOT NULL, requested TEXT NOT NULL,
     model TEXT, provider TEXT, status INTEGER NOT NULL, error TEXT, attempts TEXT NOT NULL,
     latency INTEGER NOT NULL, ttft INTEGER, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, streamed INTEGER NOT NULL
   )`,
  "CREATE INDEX requests_ts ON requests (ts)",
  `CREATE TABLE minutes (
     minute INTEGER NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
     requests INTEGER NOT NULL, succeeded INTEGER NOT NULL, failovers_in INTEGER NOT NULL, failovers_out INTEGER NOT NULL,
     throttled INTEGER NOT NULL, errors INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
     latency_sum INTEGER NOT NULL,
     PRIMARY KEY (minute, model)
   )`,
  `CREATE TABLE hours (
     hour INTEGER NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
     requests INTEGER NOT NULL, succeeded INTEGER NOT NULL, failovers_in INTEGER NOT NULL, failovers_out INTEGER NOT NULL,
     throttled INTEGER NOT NULL, errors INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
     latency TEXT NOT NULL, ttft TEXT NOT NULL,
     PRIMARY KEY (hour, model)
   )`,
  "CREATE TABLE meta_day (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  `CREATE TABLE minute_totals (
     minute INTEGER PRIMARY KEY,
     requests INTEGER NOT NULL, succeeded INTEGER NOT NULL, failovers_in INTEGER NOT NULL, failovers_out INTEGER NOT NULL,
     throttled INTEGER NOT NULL, errors INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
     latency_sum INTEGER NOT NULL
   )`,
  // Days logged before the table existed get their totals from their minute rows.
  `INSERT INTO minute_totals
     SELECT minute, SUM(requests), SUM(succeeded), SUM(failovers_in), SUM(failovers_out), SUM(throttled), SUM(errors),
            SUM(tokens_in), SUM(tokens_out), SUM(latency_sum)
       FROM minutes GROUP BY minute`,
  // The log keeps each appended batch as one row (its records a JSON array of StoredRecord arrays):
  // a row per record cost ~20 µs of SQLite for every request served, most of what logging costs. Reads expand
  // the batches newest first and stop once nothing older can make the page.
  `CREATE TABLE request_batches (first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, records TEXT NOT NULL)`,
  "CREATE INDEX request_batches_last_ts ON request_batches (last_ts)",
  // Days logged a row per record become batches of a minute each (a row whose attempts are not JSON keeps none,
  // rather than leave the day's ledger unable to open).
  `INSERT INTO request_batches
     SELECT MIN(ts), MAX(ts), json_group_array(json_array(id, ts, key, route, requested, model, provider, status, error,
            CASE WHEN json_valid(attempts) THEN json(attempts) ELSE json_array() END, latency, ttft, tokens_in, tokens_out, streamed))
       FROM requests GROUP BY ts / 60000`,
  "DROP TABLE requests",
  // Calls that reached each model's provider (every attempt but a coalesced follower's), for the quota forecast:
  // NULL in minutes logged before it was counted.
  "ALTER TABLE minutes ADD COLUMN calls INTEGER",
  // The batches appended, by the id their isolate gave them: a retried append (its first try's answer lost)
  // is not counted twice.
  "CREATE TABLE appended (id TEXT PRIMARY KEY)",
];

/** The row key of requests that no model answered (refused, failed everywhere). */
export const NO_MODEL = "";

export interface LogFilter {
  since?: number;
  until?: number;
  /**
   * Only requests before this (ts, with `beforeId` its id): the cursor of the previous page, its last record. The
   * log is ordered by time, then id, newest first, so records sharing a millisecond are neither lost nor repeated.
   */
  before?: number;
  beforeId?: string;
  model?: string;
  provider?: string;
  key?: string;
  /** "error": refused or failed, a stream that broke after its head included (status 200 with an error) */
  status?: "ok" | "error";
  route?: string;
  limit?: number;
}

export interface AggregateRow extends Aggregate {
  model: string;
  provider: string;
}

export interface MinuteRow extends Counters {
  minute: number;
  model: string;
  provider: string;
  latencySum: number;
  /** calls that went to the provider (hedges and hung-up callers included, coalesced followers not); null: not counted */
  calls: number | null;
}

/** Counters of one time bucket, summed over the minutes (and models) in it. */
export interface SeriesRow extends Counters {
  start: number;
  latencySum: number;
}

/** The counter columns of every rollup table, as SQLite returns them. */
type CounterColumns = {
  requests: number;
  succeeded: number;
  failovers_in: number;
  failovers_out: number;
  throttled: number;
  errors: number;
  tokens_in: number;
  tokens_out: number;
};

function countersOf(r: CounterColumns): Counters {
  return {
    requests: r.requests,
    succeeded: r.succeeded,
    failoversIn: r.failovers_in,
    failoversOut: r.failovers_out,
    throttled: r.throttled,
    errors: r.errors,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
  };
}

interface Delta extends Aggregate {
  provider: string;
  latencySum: number;
  calls: number;
}

function delta(provider: string): Delta {
  return { ...emptyAggregate(), provider, latencySum: 0, calls: 0 };
}

const THROTTLES = new Set(["throttle", "daily"]);
/**
 * Attempt outcomes that are no failure of the model: it answered, its answer was shared (a coalesced follower), or
 * it was stopped because another attempt answered first or the caller left.
 */
const NOT_FAILED = new Set(["ok", "coalesced", "abandoned", "client_closed"]);

/**
 * Add what one request counts for, per model, to the deltas `at` hands out (one per model of a time bucket): the
 * answering model's counts and each failed attempt's.
 */
function contribute(r: RequestRecord, at: (model: string, provider: string) => Delta): void {
  const main = at(r.model ?? NO_MODEL, r.provider ?? "");
  main.requests++;
  // A stream that broke after its head was sent carries status 200 and an error: not a success.
  const ok = r.status < 400 && r.error === null;
  if (ok) main.succeeded++;
  else main.errors++;
  // A stream that broke after its head (nothing rescued it): its last attempt is the answer's own failure,
  // counted once above as the request's error; it is no failover and no second error.
  const last = r.attempts.length - 1;
  const tail = r.attempts[last];
  const broke = r.model && r.error !== null && tail !== undefined && tail.model === r.model && !NOT_FAILED.has(tail.outcome) ? last : -1;
  // Failed over to: some attempt before it failed (an embedding's batches, or a hedge it beat, are no failover).
  if (r.model && r.attempts.some((a, i) => i !== broke && !NOT_FAILED.has(a.outcome))) main.failoversIn++;
  main.tokensIn += r.tokensIn;
  main.tokensOut += r.tokensOut;
  if (r.model) {
    // The charts' mean latency is this sum over the successes (a broken stream's time is no success's).
    if (ok) main.latencySum += r.latencyMs;
    addTo(main.latency, r.latencyMs);
    if (r.ttftMs !== null) addTo(main.ttft, r.ttftMs);
  }
  r.attempts.forEach((a, i) => {
    // Every attempt but a coalesced follower's went to the provider and spent its allowance.
    if (a.outcome !== "coalesced") at(a.model, a.provider).calls++;
    if (i === broke || NOT_FAILED.has(a.outcome)) return;
    const d = at(a.model, a.provider);
    if (i < r.attempts.length - 1 || r.model) d.failoversOut++;
    if (THROTTLES.has(a.outcome)) d.throttled++;
    else d.errors++;
  });
}

/** The deltas of one rollup table, by time bucket and model. */
class Buckets extends Map<string, Delta> {
  /** The delta of `model` in the bucket starting at `t`. */
  at(t: number, model: string, provider: string): Delta {
    const k = `${t}\u0000${model}`;
    let d = this.get(k);
    if (!d) this.set(k, (d = delta(provider)));
    return d;
  }
}

/** The fields of a Delta that add up (the rollups' counters and latency sum). */
const SUMMED = ["requests", "succeeded", "failoversIn", "failoversOut", "throttled", "errors", "tokensIn", "tokensOut", "latencySum"] as const;

const COUNTERS = ["requests", "succeeded", "failovers_in", "failovers_out", "throttled", "errors", "tokens_in", "tokens_out"] as const;

function counterValues(d: Delta): number[] {
  return [d.requests, d.succeeded, d.failoversIn, d.failoversOut, d.throttled, d.errors, d.tokensIn, d.tokensOut];
}

/** A batch row's text stays well under SQLite's (and Cloudflare's 2 MB) limit on one value; bigger ones split. */
const MAX_BATCH_CHARS = 512 * 1024;

/** The ts bounds of a query as SQLite integers (no bound: the widest). */
const NO_BOUND = Number.MAX_SAFE_INTEGER;

export class RequestLedger extends DurableObject<Record<string, never>> {
  constructor(ctx: DurableObjectState, env: Record<string, never>) {
    super(ctx, env);
    migrate(ctx.storage.sql, MIGRATIONS);
  }

  /**
   * Append a batch of records, updating the rollups; arms the alarm that deletes the day after retention. Isolates
   * send the batch as the JSON text of its StoredRecords (worker/ledger.ts), kept as it came.
   */
  async append(batch: string | RequestRecord[], retentionDays: number, dayEnd: number, batchId?: string): Promise<void> {
    const sql = this.ctx.storage.sql;
    if (batchId !== undefined) {
      if (sql.exec("SELECT 1 FROM appended WHERE id = ?", batchId).toArray().length > 0) return;
      sql.exec("INSERT INTO appended (id) VALUES (?)", batchId);
    }
    const rows = typeof batch === "string" ? (JSON.parse(batch) as StoredRecord[]) : batch.map(stored);
    this.#keep(rows, typeof batch === "string" ? batch : undefined);
    const minutes = new Buckets();
    for (const row of rows) {
      const r = unstored(row);
      const minute = Math.floor(r.ts / 60_000) * 60_000;
      contribute(r, (model, provider) => minutes.at(minute, model, provider));
    }
    // An hour's deltas are its minutes' added up.
    const hours = new Buckets();
    for (const [k, d] of minutes) {
      const [t, model] = k.split("\u0000") as [string, string];
      mergeAggregate(hours.at(Math.floor(Number(t) / 3_600_000) * 3_600_000, model, d.provider), d);
    }
    const sets = COUNTERS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ");
    const totals = new Map<number, Delta>();
    for (const [k, d] of minutes) {
      const [t, model] = k.split("\u0000") as [string, string];
      sql.exec(
        `INSERT INTO minutes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (minute, model) DO UPDATE SET ${sets}, latency_sum = latency_sum + excluded.latency_sum, calls = calls + excluded.calls`,
        Number(t),
        model,
        d.provider,
        ...counterValues(d),
        d.latencySum,
        d.calls,
      );
      let total = totals.get(Number(t));
      if (!total) totals.set(Number(t), (total = delta("")));
      for (const f of SUMMED) total[f] += d[f];
    }
    for (const [t, d] of totals) {
      sql.exec(
        `INSERT INTO minute_totals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (minute) DO UPDATE SET ${sets}, latency_sum = latency_sum + excluded.latency_sum`,
        t,
        ...counterValues(d),
        d.latencySum,
      );
    }
    for (const [k, d] of hours) {
      const [t, model] = k.split("\u0000") as [string, string];
      const old = sql.exec<{ latency: string; ttft: string }>("SELECT latency, ttft FROM hours WHERE hour = ? AND model = ?", Number(t), model).toArray()[0];
      const latency = old ? merge(JSON.parse(old.latency) as Histogram, d.latency) : d.latency;
      const ttft = old ? merge(JSON.parse(old.ttft) as Histogram, d.ttft) : d.ttft;
      sql.exec(
        `INSERT INTO hours VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hour, model) DO UPDATE SET ${sets}, latency = excluded.latency, ttft = excluded.ttft`,
        Number(t),
        model,
        d.provider,
        ...counterValues(d),
        JSON.stringify(latency),
        JSON.stringify(ttft),
      );
    }
    const dropAt = dayEnd + retentionDays * 86_400_000;
    const armed = sql.exec<{ value: string }>("SELECT value FROM meta_day WHERE key = 'drop_at'").toArray()[0];
    if (!armed || Number(armed.value) !== dropAt) {
      sql.exec("INSERT INTO meta_day (key, value) VALUES ('drop_at', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", String(dropAt));
      await this.ctx.storage.setAlarm(dropAt);
    }
  }

  /** Store records as one batch row (or several, when their text would be too long for one value). */
  #keep(rows: StoredRecord[], json?: string): void {
    if (rows.length === 0) return;
    const text = json ?? JSON.stringify(rows);
    if (text.length > MAX_BATCH_CHARS && rows.length > 1) {
      const half = Math.ceil(rows.length / 2);
      this.#keep(rows.slice(0, half));
      this.#keep(rows.slice(half));
      return;
    }
    let first = NO_BOUND;
    let last = -NO_BOUND;
    for (const r of rows) {
      if (r[1] < first) first = r[1];
      if (r[1] > last) last = r[1];
    }
    this.ctx.storage.sql.exec("INSERT INTO request_batches (first_ts, last_ts, records) VALUES (?, ?, ?)", first, last, text);
  }

  /**
   * Retention: the whole day goes at once. The object may live on (someone still reads the day): it answers
   * with empty tables, not "no such table".
   */
  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
    migrate(this.ctx.storage.sql, MIGRATIONS);
  }

  /** Per model: everything in the range, from the hourly rollups (with latency histograms). */
  async aggregate(since: number, until: number): Promise<AggregateRow[]> {
    const rows = this.ctx.storage.sql
      .exec<CounterColumns & { model: string; provider: string; latency: string; ttft: string }>("SELECT * FROM hours WHERE hour >= ? AND hour < ?", Math.floor(since / 3_600_000) * 3_600_000, until)
      .toArray();
    const byModel = new Map<string, AggregateRow>();
    for (const r of rows) {
      let a = byModel.get(r.model);
      if (!a) byModel.set(r.model, (a = { ...emptyAggregate(), model: r.model, provider: r.provider }));
      mergeAggregate(a, { ...countersOf(r), latency: JSON.parse(r.latency) as Histogram, ttft: JSON.parse(r.ttft) as Histogram });
    }
    return [...byModel.values()];
  }

  /** The first minute in [since, until) that saw any request, or null: when the gateway's traffic began. */
  async firstMinute(since: number, until: number): Promise<number | null> {
    const row = this.ctx.storage.sql.exec<{ first: number | null }>("SELECT MIN(minute) AS first FROM minute_totals WHERE minute >= ? AND minute < ?", since, until).toArray()[0];
    return row?.first ?? null;
  }

  /** Per minute and model, for charts. */
  async minutes(since: number, until: number): Promise<MinuteRow[]> {
    return this.ctx.storage.sql
      .exec<CounterColumns & { minute: number; model: string; provider: string; latency_sum: number; calls: number | null }>(
        "SELECT * FROM minutes WHERE minute >= ? AND minute < ? ORDER BY minute",
        since,
        until,
      )
      .toArray()
      .map((r) => ({ minute: r.minute, model: r.model, provider: r.provider, ...countersOf(r), latencySum: r.latency_sum, calls: r.calls }));
  }

  /**
   * Per time bucket of whole minutes (epoch-aligned, as the caller buckets), optionally for one model or provider,
   * summed here: a day holds tens of thousands of minute rows, and only the buckets need to cross the RPC.
   */
  async series(since: number, until: number, bucketMs: number, filter: { model?: string; provider?: string } = {}): Promise<SeriesRow[]> {
    const width = Math.max(1, Math.floor(bucketMs / 60_000)) * 60_000;
    // Unfiltered, the totals hold the same sums with one row a minute instead of one per model.
    const table = filter.model === undefined && filter.provider === undefined ? "minute_totals" : "minutes";
    const where = ["minute >= ?", "minute < ?"];
    const args: Array<string | number> = [since, until];
    if (filter.model !== undefined) {
      where.push("model = ?");
      args.push(filter.model);
    }
    if (filter.provider !== undefined) {
      where.push("provider = ?");
      args.push(filter.provider);
    }
    return this.ctx.storage.sql
      .exec<CounterColumns & { start: number; latency_sum: number }>(
        `SELECT minute - minute % ${width} AS start, SUM(requests) AS requests, SUM(succeeded) AS succeeded, SUM(errors) AS errors,
                SUM(throttled) AS throttled, SUM(failovers_in) AS failovers_in, SUM(failovers_out) AS failovers_out,
                SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out, SUM(latency_sum) AS latency_sum
           FROM ${table} WHERE ${where.join(" AND ")} GROUP BY start ORDER BY start`,
        ...args,
      )
      .toArray()
      .map((r) => ({ start: r.start, ...countersOf(r), latencySum: r.latency_sum }));
  }

  /** The request log, newest first, filtered and paged. */
  async requests(f: LogFilter): Promise<RequestRecord[]> {
    const from = f.since ?? -NO_BOUND;
    const until = f.until ?? NO_BOUND;
    const to = Math.min(until, f.before ?? NO_BOUND);
    // A cursor with an id also takes the records of its own millisecond that come after it.
    const tie = f.before !== undefined && f.beforeId !== undefined && f.before < until ? { ts: f.before, id: f.beforeId } : null;
    const limit = Math.min(Math.max(1, f.limit ?? 100), 1000);
    const wanted = (r: StoredRecord): boolean =>
      r[1] >= from &&
      (r[1] < to || (tie !== null && r[1] === tie.ts && r[0] < tie.id)) &&
      (f.model === undefined || r[5] === f.model) &&
      (f.provider === undefined || r[6] === f.provider) &&
      (f.key === undefined || r[2] === f.key) &&
      (f.route === undefined || r[3] === f.route) &&
      (f.status === undefined || (r[7] < 400 && r[8] === null) === (f.status === "ok"));
    const newestFirst = (a: StoredRecord, b: StoredRecord): number => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0);
    let found: StoredRecord[] = [];
    // Once a page is full, a batch whose newest record is older than the page's oldest cannot change it, and
    // the batches come newest first: the scan stops there.
    let oldest = -Infinity;
    const batches = this.ctx.storage.sql.exec<{ last_ts: number; records: string }>(
      "SELECT last_ts, records FROM request_batches WHERE last_ts >= ? AND first_ts <= ? ORDER BY last_ts DESC, rowid DESC",
      from,
      tie ? tie.ts : to - 1,
    );
    for (const b of batches) {
      if (b.last_ts < oldest) break;
      const rows = JSON.parse(b.records) as StoredRecord[];
      // Later in a batch is later appended: it comes first among records of the same ms (as the sort is stable).
      for (let i = rows.length - 1; i >= 0; i--) if (wanted(rows[i] as StoredRecord)) found.push(rows[i] as StoredRecord);
      if (found.length >= limit) {
        found = found.sort(newestFirst).slice(0, limit);
        oldest = (found[limit - 1] as StoredRecord)[1];
      }
    }
    return found.sort(newestFirst).slice(0, limit).map(unstored);
  }
}
