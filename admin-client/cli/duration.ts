// Durations and points in time as typed on a command line: "90s", "30m", "1h", "7d", "1h30m", an ISO date.

import { UsageError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "1h30m" → 5_400_000; a bare "0" is zero. Returns null when `text` is not a duration. */
export function durationMs(text: string): number | null {
  const t = text.trim();
  if (t === "0") return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(t)) return null;
  let total = 0;
  for (const [, n, unit] of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(n) * (UNITS[unit as string] as number);
  return Math.round(total);
}

/** A duration flag, or a usage error naming it. */
export function parseDuration(flag: string, text: string): number {
  const ms = durationMs(text);
  if (ms === null) throw new UsageError(`--${flag} must be a duration like 90s, 30m, 1h or 7d, not '${text}'`);
  return ms;
}

/** `--since`/`--until`: a duration back from `now`, an ISO date or time, or epoch milliseconds. */
export function parseInstant(flag: string, text: string, now: number): number {
  const ago = durationMs(text);
  if (ago !== null) return now - ago;
  const t = text.trim();
  if (/^\d{12,}$/.test(t)) return Number(t);
  // Date-like text only: Date.parse would also accept things like "1" or "March".
  const at = /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : NaN;
  if (Number.isNaN(at)) throw new UsageError(`--${flag} must be a duration back from now (30m, 1h, 7d) or a date (2026-11-28T09:00Z), not '${text}'`);
  return at;
}

/** 598_000 → "9m 58s", 7_500_000 → "2h 5m", 90_000_000 → "1d 1h"; the two largest units. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}

/** "in 9m 58s" / "3m ago" / "now". */
export function relative(at: number, now: number): string {
  const d = at - now;
  if (Math.abs(d) < 1000) return "now";
  return d > 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`;
}
