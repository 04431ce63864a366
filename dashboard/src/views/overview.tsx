// Overview: the day's headline numbers, the last hour minute by minute (traffic, success, latency and time to
// first token, tokens, failovers), and how the day's traffic splits over the models.

import type { AdminClient } from "../api.ts";
import { Chart } from "../components/chart.tsx";
import { type Column, Table } from "../components/table.tsx";
import { Tiles } from "../components/tiles.tsx";
import { count, ms, percent, plural, usd } from "../format.ts";
import { usePoll } from "../poll.ts";
import { MINUTE, minuteSlots, perSlot } from "../series.ts";
import type { Breakdown } from "../types.ts";

const HOUR_SLOTS = 60;
const DAY = 86_400_000;

function sum(values: ReadonlyArray<number | null>): number {
  return values.reduce<number>((s, v) => s + (v ?? 0), 0);
}

function last<T>(values: readonly T[]): T | undefined {
  return values[values.length - 1];
}

const modelColumns: Column<Breakdown>[] = [
  { id: "model", label: "Model", rowHeader: true, sort: (r) => r.id, cell: (r) => <span class="mono">{r.id || "(none answered)"}</span> },
  { id: "requests", label: "Requests", numeric: true, sort: (r) => r.requests, cell: (r) => count(r.requests) },
  { id: "success", label: "Success", numeric: true, sort: (r) => r.successRate, cell: (r) => percent(r.successRate) },
  { id: "p50", label: "p50", numeric: true, sort: (r) => r.latencyP50, cell: (r) => ms(r.latencyP50) },
  { id: "p95", label: "p95", numeric: true, sort: (r) => r.latencyP95, cell: (r) => ms(r.latencyP95) },
  { id: "ttft", label: "First token p50", numeric: true, sort: (r) => r.ttftP50, cell: (r) => ms(r.ttftP50) },
  { id: "tokens", label: "Tokens", numeric: true, sort: (r) => r.tokensIn + r.tokensOut, cell: (r) => count(r.tokensIn + r.tokensOut) },
  { id: "failovers", label: "Failovers in / out", numeric: true, sort: (r) => r.failoversIn + r.failoversOut, cell: (r) => `${count(r.failoversIn)} / ${count(r.failoversOut)}` },
  { id: "saved", label: "Saved", numeric: true, sort: (r) => r.moneySaved, cell: (r) => usd(r.moneySaved) },
];

export function OverviewView({ admin }: { admin: AdminClient }) {
  const { data } = usePoll(
    async (signal) => {
      const now = Date.now();
      const since = now - HOUR_SLOTS * MINUTE;
      // Fired in one tick, the three queries travel as one batched request.
      const [day, series, latency] = await Promise.all([
        admin.analytics.summary.query({ since: now - DAY, by: "model" }, { signal }),
        admin.analytics.timeseries.query({ since, bucketMinutes: 1 }, { signal }),
        admin.analytics.latency.query({ since, bucketMinutes: 1 }, { signal }),
      ]);
      return { now, day, series, latency };
    },
    [admin],
  );

  if (!data) {
    return (
      <section aria-labelledby="view-h">
        <h2 id="view-h">Overview</h2>
        <p class="loading">Loading…</p>
      </section>
    );
  }
  const t = data.day.totals;
  const slots = minuteSlots(data.now, HOUR_SLOTS);
  const ok = perSlot(slots, data.series, (b) => b.succeeded, 0);
  const failed = perSlot(slots, data.series, (b) => b.errors, 0);
  const requests = perSlot(slots, data.series, (b) => b.requests, 0);
  const success = perSlot(slots, data.series, (b) => (b.requests > 0 ? b.succeeded / b.requests : null), null);
  const p50 = perSlot(slots, data.latency.buckets, (b) => b.latencyP50, null);
  const p95 = perSlot(slots, data.latency.buckets, (b) => b.latencyP95, null);
  const ttft50 = perSlot(slots, data.latency.buckets, (b) => b.ttftP50, null);
  const ttft95 = perSlot(slots, data.latency.buckets, (b) => b.ttftP95, null);
  const tokIn = perSlot(slots, data.series, (b) => b.tokensIn, 0);
  const tokOut = perSlot(slots, data.series, (b) => b.tokensOut, 0);
  const failovers = perSlot(slots, data.series, (b) => b.failovers, 0);
  const throttled = perSlot(slots, data.series, (b) => b.throttled, 0);
  const hourRequests = sum(requests);
  const hourOk = sum(ok);
  const latest = data.latency.buckets[data.latency.buckets.length - 1];

  return (
    <section aria-labelledby="view-h">
      <h2 id="view-h">Overview</h2>
      <Tiles
        label="Last 24 hours"
        tiles={[
          { label: "Requests (24 h)", value: count(t.requests), note: `${count(hourRequests)} in the last hour` },
          { label: "Success rate", value: percent(t.successRate), note: `${count(t.errors)} failed` },
          { label: "Latency p50 / p95", value: `${ms(t.latencyP50)} / ${ms(t.latencyP95)}` },
          { label: "First token p50 / p95", value: `${ms(t.ttftP50)} / ${ms(t.ttftP95)}` },
          { label: "Tokens", value: count(t.tokensIn + t.tokensOut), note: `${count(t.tokensIn)} in · ${count(t.tokensOut)} out` },
          { label: "Money saved", value: usd(t.moneySaved), note: "at the catalog's list prices" },
          { label: "Failovers", value: count(data.day.groups.reduce((n, g) => n + g.failoversIn, 0)), note: plural(t.throttled, "throttled attempt") },
        ]}
      />
      <h3>The last hour, per minute</h3>
      <div class="charts">
        <Chart
          title="Requests per minute"
          kind="bars"
          slots={slots}
          series={[
            { label: "succeeded", tone: "ok", values: ok },
            { label: "failed", tone: "bad", values: failed },
          ]}
          format={count}
          integer
          summary={`${plural(hourRequests, "request")} in the last hour · ${count(last(requests) ?? 0)} this minute · peak ${count(Math.max(0, ...requests))}/min`}
        />
        <Chart
          title="Success rate"
          kind="lines"
          slots={slots}
          series={[{ label: "answered", tone: "ok", values: success }]}
          format={(v) => percent(v, 0)}
          summary={hourRequests > 0 ? `${percent(hourOk / hourRequests)} over the last hour` : "no requests in the last hour"}
        />
        <Chart
          title="Latency and time to first token"
          kind="lines"
          slots={slots}
          series={[
            { label: "latency p50", tone: "a", values: p50 },
            { label: "latency p95", tone: "b", values: p95 },
            { label: "first token p50", tone: "c", values: ttft50 },
            { label: "first token p95", tone: "ok", values: ttft95 },
          ]}
          format={ms}
          summary={
            latest
              ? `latest minute: p50 ${ms(latest.latencyP50)}, p95 ${ms(latest.latencyP95)}, first token p50 ${ms(latest.ttftP50)}${data.latency.sampled ? " (from the latest 500 requests)" : ""}`
              : "no answered requests in the last hour"
          }
        />
        <Chart
          title="Tokens per minute"
          kind="bars"
          slots={slots}
          series={[
            { label: "prompt", tone: "a", values: tokIn },
            { label: "completion", tone: "c", values: tokOut },
          ]}
          format={count}
          integer
          summary={`${count(sum(tokIn) + sum(tokOut))} tokens in the last hour`}
        />
        <Chart
          title="Failovers per minute"
          kind="bars"
          slots={slots}
          series={[
            { label: "answered after a failover", tone: "b", values: failovers },
            { label: "throttled attempts", tone: "bad", values: throttled },
          ]}
          format={count}
          integer
          summary={`${plural(sum(failovers), "failover")} and ${plural(sum(throttled), "throttled attempt")} in the last hour`}
        />
      </div>
      <h3>Traffic by model (24 h)</h3>
      <Table
        caption="Traffic by model over the last 24 hours"
        columns={modelColumns}
        rows={data.day.groups}
        rowKey={(r) => r.id || "none"}
        initialSort={{ column: "requests", dir: "descending" }}
        empty="No traffic in the last 24 hours."
      />
    </section>
  );
}
