// `forecast`: each daily allowance, how fast it is burning (over the last hour) and whether it lasts until reset.

import type { Command } from "../command.ts";
import { relative } from "../duration.ts";
import { clock, compact, stamp } from "../format.ts";
import { renderTable } from "../table.ts";

export const forecast: Command = {
  name: "forecast",
  summary: "when each daily allowance runs out at the last hour's rate, and whether it lasts until reset",
  async run(ctx) {
    const list = await ctx.call("Forecasting", () => ctx.admin.analytics.forecast.query());
    ctx.emit(list, (fs) => {
      if (fs.length === 0) return "Nothing to forecast: no model with a daily limit has served a request yet.";
      const now = ctx.now();
      // A time of day is enough within a day; further out it needs its date.
      const when = (at: number): string => `${Math.abs(at - now) < 86_400_000 ? clock(at) : stamp(at)} (${relative(at, now)})`;
      const rows = fs.map((f) => [
        f.id,
        f.kind,
        f.limit,
        `${compact(f.remaining)}/${compact(f.capacity)}`,
        `${Number(f.burnRate.toFixed(2))}/min`,
        f.exhaustedAt === null ? ctx.c.dim("not burning") : when(f.exhaustedAt),
        when(f.resetAt),
        f.lastsUntilReset ? ctx.c.green("lasts") : ctx.c.red("runs out"),
      ]);
      return renderTable(
        [
          { header: "ID" },
          { header: "KIND" },
          { header: "LIMIT" },
          { header: "LEFT", align: "right" },
          { header: "BURN", align: "right" },
          { header: "RUNS OUT" },
          { header: "RESETS" },
          { header: "UNTIL RESET" },
        ],
        rows,
        { color: ctx.color },
      );
    });
  },
};
