// The request log and per-model stats that tests read back.

import type { LogEntry, SimStats } from "./types.ts";

const LOG_KEEP = 10_000;

export class RequestLog {
  private entries: LogEntry[] = [];
  private seq = 0;
  private totals: SimStats = { total: 0, byModel: {} };

  open(provider: string, endpoint: LogEntry["endpoint"], ts: number): LogEntry {
    const entry: LogEntry = {
      seq: ++this.seq,
      ts,
      provider,
      model: "",
      endpoint,
      stream: false,
      status: 0,
      aborted: false,
      tokensSent: 0,
      body: null,
    };
    this.entries.push(entry);
    // Trim in batches so a long benchmark does not pay for a shift on every request.
    if (this.entries.length > LOG_KEEP + 1000) this.entries = this.entries.slice(-LOG_KEEP);
    return entry;
  }

  /** Records the status once it is known (0 = no HTTP response). */
  settle(entry: LogEntry, status: number): void {
    entry.status = status;
    this.totals.total += 1;
    if (entry.model === "") return;
    const key = `${entry.provider}/${entry.model}`;
    const s = (this.totals.byModel[key] ??= { requests: 0, ok: 0, statuses: {} });
    s.requests += 1;
    if (status >= 200 && status < 300) s.ok += 1;
    s.statuses[String(status)] = (s.statuses[String(status)] ?? 0) + 1;
  }

  /** The client left before any header: counted as status 0, aborted. */
  abandon(entry: LogEntry): void {
    entry.aborted = true;
    this.settle(entry, 0);
  }

  list(since: number): LogEntry[] {
    const kept = this.entries.length > LOG_KEEP ? this.entries.slice(-LOG_KEEP) : this.entries;
    return kept.filter((e) => e.seq > since).map((e) => ({ ...e }));
  }

  stats(): SimStats {
    return structuredClone(this.totals);
  }

  /** Forgets entries and stats; seq keeps counting so a poller's `since` stays valid. */
  clear(): void {
    this.entries = [];
    this.totals = { total: 0, byModel: {} };
  }
}
