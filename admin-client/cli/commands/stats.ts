// `stats`: the request log summed up per model or provider — requests, success, throttles, failovers, latency,
// time to first token, tokens and what they would have cost.

import { str } from "../args.ts";
import type { Command } from "../command.ts";
import { parseInstant } from "../duration.ts";
import { UsageError } from "../errors.ts";
import { compact, int, ms, pct, stamp, usd } from "../format.ts";
import { renderTable } from "../table.ts";

const HOUR = 3_600_000;

export const stats: Command = {
  name: "stats",
  summary: "requests, success, throttles, failovers, latency and tokens per model or provider",
  details:
    "Counts come from hourly rollups, so the hours --since and --until fall in count whole (the heading says so).\n" +
    "Each request is counted once, under the model that answered it (or as 'no model answered'). OK is the share\n" +
    "of attempts at that model that succeeded (on the total line: of requests); THROTTLED counts its 429s;\n" +
    "FAILOVERS in/out count answers it took over after another model failed, and its failed attempts passed on\n" +
    "to another. SAVED is what the same tokens would cost at the catalog's reference prices.",
  flags: {
    since: { type: "string", value: "WHEN", help: "start: a duration back from now (30m, 1h, 7d) or a date; default 24h" },
    until: { type: "string", value: "WHEN", help: "end, the same way; default now" },
    by: { type: "string", value: "model|provider", help: "group by model (default) or provider" },
  },
  examples: ["freeway-admin stats --since 1h --by provider", "freeway-admin stats --since 2026-11-28T09:00Z --json"],
  async run(ctx, { flags }) {
    const now = ctx.now();
    const by = str(flags, "by") ?? "model";
    if (by !== "model" && by !== "provider") throw new UsageError(`--by must be 'model' or 'provider', not '${by}'`);
    const sinceText = str(flags, "since");
    const untilText = str(flags, "until");
    const since = sinceText === undefined ? undefined : parseInstant("since", sinceText, now);
    const until = untilText === undefined ? undefined : parseInstant("until", untilText, now);
    if (since !== undefined && since < 0) throw new UsageError("--since is before 1970");
    if (since !== undefined && until !== undefined && until <= since) throw new UsageError("--until must be after --since");
    const summary = await ctx.call("Summing the request log", () =>
      ctx.admin.analytics.summary.query({ by, ...(since !== undefined ? { since: Math.floor(since) } : {}), ...(until !== undefined ? { until: Math.ceil(until) } : {}) }),
    );
    ctx.emit(summary, (s) => {
      const from = Math.floor(s.since / HOUR) * HOUR;
      const head = `Requests from ${stamp(from)} to ${s.until > now ? "now" : stamp(s.until)}, by ${by}`;
      if (s.totals.requests === 0 && s.groups.length === 0) return `${head}: none.`;
      const cells = (b: (typeof s.groups)[number], label: string): string[] => [
        label,
        int(b.requests),
        pct(b.successRate),
        int(b.throttled),
        `${int(b.failoversIn)}/${int(b.failoversOut)}`,
        `${ms(b.latencyP50)} / ${ms(b.latencyP95)}`,
        `${ms(b.ttftP50)} / ${ms(b.ttftP95)}`,
        `${compact(b.tokensIn)} / ${compact(b.tokensOut)}`,
        usd(b.moneySaved),
      ];
      const rows = s.groups.map((g) => cells(g, g.id === "" ? ctx.c.dim("(no model answered)") : g.id));
      const right = { align: "right" } as const;
      const table = renderTable(
        [
          { header: by.toUpperCase() },
          { header: "REQUESTS", ...right },
          { header: "OK", ...right },
          { header: "THROTTLED", ...right },
          { header: "FAILOVERS in/out", ...right },
          { header: "LATENCY p50 / p95", ...right },
          { header: "TTFT p50 / p95", ...right },
          { header: "TOKENS in / out", ...right },
          { header: "SAVED", ...right },
        ],
        rows,
        { color: ctx.color, footer: cells(s.totals, "total") },
      );
      return `${head}\n\n${table}`;
    });
  },
};
