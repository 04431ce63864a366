// `tail`: follow the request log live — each request once, as it lands: time, status, route, requested →
// answered model, the attempts on the way, latency and tokens. Ctrl-C ends it (exit 0).

import type { RequestRecord } from "../../../shared/analytics.ts";
import { pause } from "../../../shared/pause.ts";
import { str } from "../args.ts";
import type { Command, Ctx } from "../command.ts";
import { parseDuration, parseInstant } from "../duration.ts";
import { Unreachable, UsageError, unwrap } from "../errors.ts";
import { clock, compact, inert, ms, statusText } from "../format.ts";

const PAGE = 500;
/** How far back each poll looks: records land when their request ends, in batches, so not in `ts` order. */
const LOOKBACK_MS = 5 * 60_000;
/** With no --since, the first screen shows this many of the latest requests. */
const BACKLOG = 10;
const DAY = 86_400_000;

/** One line for people. */
export function requestLine(r: RequestRecord, ctx: Pick<Ctx, "c">): string {
  const c = ctx.c;
  const answered = r.model !== null ? inert(r.model) : c.dim("–");
  const parts = [c.dim(clock(r.ts)), statusText(r.status, c), inert(r.route).padEnd(10), `${inert(r.requested)} → ${answered}`];
  if (r.attempts.length > 1 || (r.model === null && r.attempts.length > 0)) {
    parts.push(c.dim(`[${r.attempts.map((a) => (a.outcome === "ok" ? `${inert(a.model)} ✓` : `${inert(a.model)} ✗ ${inert(a.outcome)}`)).join(" › ")}]`));
  }
  parts.push(ms(r.latencyMs));
  if (r.ttftMs !== null && r.streamed) parts.push(`ttft ${ms(r.ttftMs)}`);
  if (r.tokensIn + r.tokensOut > 0) parts.push(`${compact(r.tokensIn)}→${compact(r.tokensOut)} tok`);
  if (r.error) parts.push(c.red(inert(r.error)));
  if (r.key) parts.push(c.dim(inert(r.key)));
  return parts.join("  ");
}

export const tail: Command = {
  name: "tail",
  summary: "follow new requests live (Ctrl-C to stop)",
  details:
    "Without --since it starts with the latest 10 requests; --since 0 shows only new ones. With --json each request\n" +
    "is one JSON line (the request log's record: metadata only, never prompts, answers or keys).",
  flags: {
    since: { type: "string", value: "WHEN", help: "first show requests since then (5m, 1h, a date; 0: none)" },
    interval: { type: "string", value: "DURATION", help: "how often to ask for new requests (default 1s)" },
    model: { type: "string", value: "ID", help: "only requests answered by this model" },
    provider: { type: "string", value: "ID", help: "only requests answered by this provider" },
  },
  examples: ["freeway-admin tail --since 5m", "freeway-admin tail --json | jq .status"],
  untilInterrupted: true,
  async run(ctx, { flags }) {
    const start = ctx.now();
    const interval = parseDuration("interval", str(flags, "interval") ?? "1s");
    if (interval < 100) throw new UsageError("--interval must be at least 100ms");
    const sinceText = str(flags, "since");
    const backlogFrom = sinceText === undefined ? start - DAY : parseInstant("since", sinceText, start);
    const filter = { ...(str(flags, "model") !== undefined ? { model: str(flags, "model") } : {}), ...(str(flags, "provider") !== undefined ? { provider: str(flags, "provider") } : {}) };
    const signal = ctx.interrupted;
    const seen = new Map<string, number>();
    let newest = -Infinity;

    /** Records at or after `from` not shown yet, oldest first; pages back while pages come full of new ones. */
    const fresh = async (from: number, limit: number): Promise<RequestRecord[]> => {
      const found: RequestRecord[] = [];
      let before: number | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await ctx.admin.analytics.requests.query({ since: Math.max(0, Math.floor(from)), limit, ...filter, ...(before !== undefined ? { before } : {}) }, { signal });
        const unseen = rows.filter((r) => !seen.has(r.id));
        found.push(...unseen);
        const oldest = rows[rows.length - 1]?.ts;
        if (rows.length < limit || unseen.length === 0 || oldest === undefined || limit < PAGE) break;
        // `before` is exclusive: ask again from the oldest millisecond (ids keep repeats out).
        if (before !== undefined && oldest + 1 >= before) break;
        before = oldest + 1;
      }
      return found.sort((a, b) => a.ts - b.ts || a.id.localeCompare(b.id));
    };

    const show = (records: RequestRecord[]): void => {
      for (const r of records) {
        if (seen.has(r.id)) continue;
        seen.set(r.id, r.ts);
        newest = Math.max(newest, r.ts);
        ctx.out(ctx.json ? JSON.stringify(r) : requestLine(r, ctx));
      }
    };

    const stopped = (e: unknown): boolean => signal.aborted || (e instanceof Error && e.name === "AbortError");
    try {
      ctx.note(ctx.c.dim(`Following requests at ${ctx.url} (Ctrl-C to stop)`));
      const backlog = await fresh(backlogFrom, sinceText === undefined ? BACKLOG : PAGE);
      show(backlog);
      // Later polls never reach back past what the first screen covered: when it showed only the latest few,
      // older ones are not news. (A request that started earlier but lands later still shows.)
      const floorStart = sinceText === undefined && backlog.length >= BACKLOG ? (backlog[0] as RequestRecord).ts : backlogFrom;
      let warned = false;
      while (!signal.aborted) {
        await pause(interval, signal);
        if (signal.aborted) break;
        // The server's clock decides what "recent" is, once it has shown a record.
        const floor = Math.max(floorStart, (Number.isFinite(newest) ? newest : ctx.now()) - LOOKBACK_MS);
        for (const [id, ts] of seen) if (ts < floor) seen.delete(id);
        try {
          show(await fresh(floor, PAGE));
          warned = false;
        } catch (e) {
          if (stopped(e)) break;
          // A gateway restarting (wrangler reload) is no reason to stop following it.
          if (!(unwrap(e) instanceof Unreachable)) throw e;
          if (!warned) ctx.note(ctx.c.yellow(`${(unwrap(e) as Error).message} — retrying`));
          warned = true;
        }
      }
    } catch (e) {
      if (!stopped(e)) throw e;
    }
  },
};
