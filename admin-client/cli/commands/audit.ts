// `audit`: what operators changed through the admin API — who, when, what, old → new.

import { positiveInt, str } from "../args.ts";
import type { Command } from "../command.ts";
import { parseInstant } from "../duration.ts";
import { stamp } from "../format.ts";
import { renderTable } from "../table.ts";

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Changed leaves as "path: old → new", descending into objects on both sides. */
function diff(before: unknown, after: unknown, path: string, out: string[]): void {
  if (isPlain(before) && isPlain(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) diff(before[k], after[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push(`${path || "value"}: ${shown(path, before)} → ${shown(path, after)}`);
}

/** A value as JSON; a moment (`cooldownUntil`, `revokedAt`) as a local time. */
function shown(path: string, v: unknown): string {
  if (typeof v === "number" && v > 1e12 && /(At|Until)$/.test(path)) return stamp(v);
  return JSON.stringify(v) ?? "–";
}

/** "overrides.rpm: – → 1; limits.rpm: 30 → 1" — only what changed. */
export function changeText(before: Record<string, unknown> | null, after: Record<string, unknown> | null, max = 120): string {
  const parts: string[] = [];
  if (!before || !after) parts.push(JSON.stringify(after ?? before ?? {}));
  else diff(before, after, "", parts);
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
