// The live request log: newest first, each request with the chain of models it tried, filterable by status,
// answering model and gateway key.

import { useEffect, useState } from "preact/hooks";
import type { AdminClient } from "../api.ts";
import { type Column, Table } from "../components/table.tsx";
import { count, ms, when } from "../format.ts";
import { usePoll } from "../poll.ts";
import type { KeyRecord, LogRecord } from "../types.ts";

const DAY = 86_400_000;
const PAGE = 100;
const MAX = 500;

function Chain({ r }: { r: LogRecord }) {
  if (r.attempts.length === 0) return <span class="muted">no model tried</span>;
  return (
    <ol class="chain" aria-label={`${r.attempts.length} attempt${r.attempts.length === 1 ? "" : "s"}`}>
      {r.attempts.map((a, i) => (
        <li key={i} class={a.outcome === "ok" ? "ok" : "bad"}>
          <span class="mono">{a.model}</span> <span class="outcome">{a.outcome}</span>
        </li>
      ))}
    </ol>
  );
}

function columns(keys: ReadonlyMap<string, KeyRecord>): Column<LogRecord>[] {
  return [
    { id: "time", label: "Time", sort: (r) => r.ts, cell: (r) => <time dateTime={new Date(r.ts).toISOString()}>{when(r.ts)}</time> },
    { id: "id", label: "Request", rowHeader: true, cell: (r) => <span class="mono">{r.id}</span> },
    { id: "route", label: "API", sort: (r) => r.route, cell: (r) => r.route },
    { id: "requested", label: "Asked for", sort: (r) => r.requested, cell: (r) => <span class="mono">{r.requested}</span> },
    { id: "chain", label: "Models tried", cell: (r) => <Chain r={r} /> },
    {
      id: "status",
      label: "Status",
      numeric: true,
      sort: (r) => r.status,
      cell: (r) => <span class={r.status < 400 && !r.error ? "ok-text" : "bad-text"}>{r.error ? `${r.status} ${r.error}` : r.status}</span>,
    },
    { id: "latency", label: "Latency", numeric: true, sort: (r) => r.latencyMs, cell: (r) => ms(r.latencyMs) },
    { id: "ttft", label: "First token", numeric: true, sort: (r) => r.ttftMs, cell: (r) => ms(r.ttftMs) },
    { id: "tokens", label: "Tokens", numeric: true, sort: (r) => r.tokensIn + r.tokensOut, cell: (r) => count(r.tokensIn + r.tokensOut) },
    { id: "key", label: "Key", sort: (r) => r.key, cell: (r) => (r.key ? (keys.get(r.key)?.label ?? r.key) : <span class="muted">anonymous</span>) },
  ];
}

/** A text filter applied once typing pauses, so each keystroke is not a request. */
function useSettled(value: string, delay = 400): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value.trim()), delay);
    return () => clearTimeout(t);
  }, [value, delay]);
  return settled;
}

export function RequestsView({ admin }: { admin: AdminClient }) {
  const [status, setStatus] = useState<"" | "ok" | "error">("");
  const [modelInput, setModelInput] = useState("");
  const model = useSettled(modelInput);
  const [key, setKey] = useState("");
  const [limit, setLimit] = useState(PAGE);
  const { data } = usePoll(
    async (signal) => {
      const [log, keys] = await Promise.all([
        admin.analytics.requests.query(
          { since: Date.now() - DAY, limit, ...(status ? { status } : {}), ...(model ? { model } : {}), ...(key ? { key } : {}) },
          { signal },
        ),
        admin.keys.list.query(undefined, { signal }),
      ]);
      return { log, keys };
    },
    [admin, status, model, key, limit],
  );
  const keys = new Map((data?.keys ?? []).map((k) => [k.id, k]));
  const models = [...new Set((data?.log ?? []).flatMap((r) => (r.model ? [r.model] : [])))].sort();

  return (
    <section aria-labelledby="view-h">
      <h2 id="view-h">Requests</h2>
      <div class="filters" role="group" aria-label="Filter requests">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as "" | "ok" | "error")}>
            <option value="">All</option>
            <option value="ok">Succeeded</option>
            <option value="error">Failed</option>
          </select>
        </label>
        <label>
          Answered by
          <input type="search" list="log-models" value={modelInput} placeholder="exact model id" onInput={(e) => setModelInput(e.currentTarget.value)} />
          <datalist id="log-models">
            {models.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <label>
          Key
          <select value={key} onChange={(e) => setKey(e.currentTarget.value)}>
            <option value="">All keys</option>
            {[...keys.values()].map((k) => (
              <option key={k.id} value={k.id}>
                {k.label} ({k.id})
              </option>
            ))}
          </select>
        </label>
        <span class="muted count">{data ? `${data.log.length} newest requests (24 h)` : ""}</span>
      </div>
      {!data ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <Table caption="Request log, newest first" columns={columns(keys)} rows={data.log} rowKey={(r) => r.id} empty="No requests match these filters in the last 24 hours." />
          {data.log.length >= limit && limit < MAX ? (
            <p>
              <button type="button" onClick={() => setLimit(Math.min(MAX, limit + PAGE))}>
                Show more
              </button>
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}
