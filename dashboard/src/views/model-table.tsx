// The providers and models tables with their filters, shared by the public view and the operator's (which adds
// the actions).

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Countdown } from "../components/countdown.tsx";
import { StateBadge, stateWord } from "../components/state.tsx";
import { type Column, Table } from "../components/table.tsx";
import { count, ms, percent, relative, when } from "../format.ts";
import { type ModelRow, type ProviderRow, tightest } from "../rows.ts";
import { matches } from "../sort.ts";
import type { ModelState } from "../types.ts";

/** In the order the table sorts them by default: what needs an operator's eye first. */
const STATES: ModelState[] = ["cooling_down", "disabled", "probing", "ready", "not_configured"];

function Remaining({ row }: { row: ModelRow }) {
  const tight = tightest(row.limits, row.remaining);
  if (row.headroom === null || !tight) return <span class="muted">no limits</span>;
  const daily = row.limits.rpd !== undefined ? `${count(row.remaining.rpd)} of ${count(row.limits.rpd)} today` : null;
  const first = `${tight.dim} ${count(tight.left)} of ${count(tight.cap)}`;
  return (
    <span class="remaining">
      <meter min={0} max={1} low={0.2} high={0.5} optimum={1} value={row.headroom} aria-label={`Headroom ${percent(row.headroom, 0)}`} />
      <span>
        {daily ?? first}
        {daily && tight.dim !== "rpd" && tight.left / tight.cap < 0.5 ? <span class="muted"> · {first}</span> : null}
      </span>
    </span>
  );
}

function Forecast({ row }: { row: ModelRow }) {
  if (row.lasts === null) return <span class="muted">—</span>;
  if (row.lasts || row.exhaustsAt === null) return <span>lasts until reset</span>;
  return (
    <span class="warn-text">
      {when(row.exhaustsAt)} ({relative(row.exhaustsAt)})
    </span>
  );
}

export function modelColumns(actions?: (row: ModelRow) => ComponentChildren): Column<ModelRow>[] {
  const cols: Column<ModelRow>[] = [
    { id: "model", label: "Model", rowHeader: true, sort: (r) => r.id, cell: (r) => <span class="mono">{r.id}</span> },
    { id: "provider", label: "Provider", sort: (r) => r.providerName, cell: (r) => r.providerName },
    { id: "state", label: "State", sort: (r) => STATES.indexOf(r.state), cell: (r) => <StateBadge state={r.state} /> },
    {
      id: "cooldown",
      label: "Cooldown",
      sort: (r) => r.cooldownUntil,
      cell: (r) =>
        r.cooldownUntil !== null ? (
          <span class="cooldown">
            <Countdown until={r.cooldownUntil} /> <span class="muted">{r.cooldownReason ?? ""}</span>
          </span>
        ) : (
          <span class="muted">—</span>
        ),
    },
    { id: "latency", label: "Latency (EWMA)", numeric: true, sort: (r) => r.latencyMs, cell: (r) => ms(r.latencyMs) },
    { id: "ttft", label: "First token", numeric: true, sort: (r) => r.ttftMs, cell: (r) => ms(r.ttftMs) },
    { id: "success", label: "Success", numeric: true, sort: (r) => r.successRate, cell: (r) => percent(r.successRate) },
    { id: "remaining", label: "Remaining quota", sort: (r) => r.headroom, cell: (r) => <Remaining row={r} /> },
    { id: "forecast", label: "Runs out", sort: (r) => (r.lasts === null ? null : r.lasts ? Infinity : r.exhaustsAt), cell: (r) => <Forecast row={r} /> },
    { id: "requests", label: "Requests (24 h)", numeric: true, sort: (r) => r.requests, cell: (r) => count(r.requests) },
  ];
  if (actions) cols.push({ id: "actions", label: "Actions", cell: actions });
  return cols;
}

export function ModelTable({ rows, actions }: { rows: readonly ModelRow[]; actions?: (row: ModelRow) => ComponentChildren }) {
  const [query, setQuery] = useState("");
  const [state, setState] = useState<ModelState | "">("");
  const [provider, setProvider] = useState("");
  const [unconfigured, setUnconfigured] = useState(false);
  const providers = [...new Map(rows.map((r) => [r.provider, r.providerName])).entries()];
  const shown = rows.filter(
    (r) =>
      (unconfigured || r.configured) &&
      (!state || r.state === state) &&
      (!provider || r.provider === provider) &&
      matches(`${r.id} ${r.providerName} ${r.kind} ${stateWord(r.state)} ${r.cooldownReason ?? ""}`, query),
  );
  return (
    <>
      <div class="filters" role="group" aria-label="Filter models">
        <label>
          Search
          <input type="search" value={query} placeholder="model, provider, reason…" onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.currentTarget.value as ModelState | "")}>
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {stateWord(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.currentTarget.value)}>
            <option value="">All providers</option>
            {providers.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={unconfigured} onChange={(e) => setUnconfigured(e.currentTarget.checked)} />
          Show unconfigured
        </label>
        <span class="muted count" aria-live="polite">
          {shown.length} of {rows.length} models
        </span>
      </div>
      <Table
        caption="Models"
        columns={modelColumns(actions)}
        rows={shown}
        rowKey={(r) => r.id}
        initialSort={{ column: "state", dir: "ascending" }}
        rowClass={(r) => `row-${r.state}`}
        empty="No model matches these filters."
      />
    </>
  );
}

export function ProviderTable({ rows, actions }: { rows: readonly ProviderRow[]; actions?: (row: ProviderRow) => ComponentChildren }) {
  const cols: Column<ProviderRow>[] = [
    { id: "name", label: "Provider", rowHeader: true, sort: (r) => r.name, cell: (r) => r.name },
    { id: "configured", label: "Configured", sort: (r) => r.configured, cell: (r) => (r.configured ? "yes" : <span class="muted">no key</span>) },
    { id: "models", label: "Models", numeric: true, sort: (r) => r.models, cell: (r) => count(r.models) },
    { id: "ready", label: "Ready", numeric: true, sort: (r) => r.ready, cell: (r) => (r.configured ? count(r.ready) : "—") },
    { id: "cooling", label: "Cooling down", numeric: true, sort: (r) => r.cooling, cell: (r) => (r.configured ? count(r.cooling) : "—") },
    { id: "disabled", label: "Disabled", numeric: true, sort: (r) => r.disabled, cell: (r) => (r.configured ? count(r.disabled) : "—") },
  ];
  if (actions) cols.push({ id: "actions", label: "Actions", cell: actions });
  return <Table caption="Providers" columns={cols} rows={rows} rowKey={(r) => r.id} initialSort={{ column: "configured", dir: "descending" }} empty="No providers." />;
}
