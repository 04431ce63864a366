// `audit`: what operators changed through the admin API — who, when, what, old → new.

import { positiveInt, str } from "../args.ts";
import type { Command } from "../command.ts";
import { parseInstant } from "../duration.ts";
import { stamp } from "../format.ts";
import { renderTable } from "../table.ts";

/** "overrides: {} → {"rpm":1}; disabled: false → true" — only what changed. */
export function changeText(before: Record<string, unknown> | null, after: Record<string, unknown> | null, max = 120): string {
  if (!before || !after) return JSON.stringify(after ?? before ?? {}).slice(0, max);
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const parts = keys
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
    .map((k) => `${k}: ${JSON.stringify(before[k]) ?? "–"} → ${JSON.stringify(after[k]) ?? "–"}`);
  const text = parts.join("; ") || "no change";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const audit: Command = {
  name: "audit",
  summary: "the audit log: operator changes, newest first",
  flags: {
    limit: { type: "string", value: "N", help: "entries to show (default 50, at most 1000)" },
    before: { type: "string", value: "WHEN", help: "only entries before this (a duration back from now, or a date)" },
  },
  async run(ctx, { flags }) {
    const limitText = str(flags, "limit");
    const beforeText = str(flags, "before");
    const limit = limitText === undefined ? 50 : Math.min(1000, positiveInt("limit", limitText));
    const before = beforeText === undefined ? undefined : parseInstant("before", beforeText, ctx.now());
    const entries = await ctx.call("Reading the audit log", () => ctx.admin.analytics.audit.query({ limit, ...(before !== undefined ? { before: Math.floor(before) } : {}) }));
    ctx.emit(entries, (es) => {
      if (es.length === 0) return "The audit log is empty.";
      const rows = es.map((e) => [stamp(e.ts), e.actor, e.action, changeText(e.before, e.after)]);
      return renderTable([{ header: "TIME" }, { header: "OPERATOR" }, { header: "ACTION" }, { header: "CHANGE" }], rows, { color: ctx.color });
    });
  },
};
