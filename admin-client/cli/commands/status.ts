// `status`: every provider and model as the router sees them now — state, cooldown until when and why, quota left.

import type { Command } from "../command.ts";
import { relative } from "../duration.ts";
import { remainingText, stateText } from "../format.ts";
import { renderTable } from "../table.ts";

/** The fields of a model or pool in routing.status that the table shows. */
interface Row {
  id: string;
  state: string;
  cooldown_until: string | null;
  cooldown_reason: string | null;
  remaining: Record<string, number>;
  limits: Record<string, number>;
}

// routing.status spreads an untyped view into each entry; these are the fields it always sets.
function row(entry: Record<string, unknown>): Row {
  return {
    id: String(entry["id"]),
    state: String(entry["state"]),
    cooldown_until: typeof entry["cooldown_until"] === "string" ? entry["cooldown_until"] : null,
    cooldown_reason: typeof entry["cooldown_reason"] === "string" ? entry["cooldown_reason"] : null,
    remaining: (entry["remaining"] ?? {}) as Record<string, number>,
    limits: (entry["limits"] ?? {}) as Record<string, number>,
  };
}

export const status: Command = {
  name: "status",
  summary: "providers and models now: state, cooldown until when and why, quota left",
  details: "Only configured providers are listed unless --all is given. Pools are a provider's account-wide allowances.",
  flags: { all: { type: "boolean", help: "include providers that are not configured" } },
  async run(ctx, { flags }) {
    const result = await ctx.call("Asking every model for its state", () => ctx.admin.routing.status.query());
    ctx.emit(result, (r) => {
      const now = ctx.now();
      const counts = new Map<string, number>();
      const rows: string[][] = [];
      for (const p of r.providers) {
        if (!p.configured && flags["all"] !== true) continue;
        const entries = [...p.pools.map((x) => ({ ...row(x), id: `pool ${String(x.id)}` })), ...p.models.map((m) => row(m))];
        for (const e of entries) {
          counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
          const cooldown = e.cooldown_until ? `${relative(Date.parse(e.cooldown_until), now)}${e.cooldown_reason ? ` (${e.cooldown_reason})` : ""}` : "";
          rows.push([p.id, e.id, stateText(e.state, ctx.c), cooldown, remainingText(e.remaining, e.limits)]);
        }
      }
      if (rows.length === 0) return "No provider is configured: set a provider key (see README, Settings).";
      const table = renderTable(
        [{ header: "PROVIDER" }, { header: "MODEL" }, { header: "STATE" }, { header: "COOLDOWN" }, { header: "REMAINING" }],
        rows,
        { color: ctx.color },
      );
      const summary = [...counts.entries()].map(([state, n]) => `${n} ${state.replace(/_/g, " ")}`).join(", ");
      return `${table}\n\n${summary}`;
    });
  },
};
