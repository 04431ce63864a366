// How numbers, times and states read in the tables.

import type { Limits } from "../../shared/catalog/types.ts";
import type { Palette } from "./table.ts";

const intFormat = new Intl.NumberFormat("en-US");

/** 14400 → "14,400". */
/**
 * Text from the gateway's log as one harmless line: control characters (a newline that would forge a log line,
 * escapes that clear the screen or retitle the terminal) become "�". A caller chose some of it (the model asked).
 */
export function inert(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\ufffd");
}

/**
 * Human output as the terminal gets it: this CLI's own colours (SGR sequences) and line breaks pass, any other
 * control character becomes "�".
 */
export function terminalSafe(text: string): string {
  return text.replace(/(\u001b\[[0-9;]*m)|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (m, sgr: string | undefined) => sgr ?? "\ufffd");
}

export function int(n: number): string {
  return intFormat.format(n);
}

/** 14400 → "14.4k", 1_000_000 → "1M"; small numbers as they are. */
export function compact(n: number): string {
  if (Math.abs(n) < 10_000) return intFormat.format(Math.round(n));
  for (const [size, unit] of [[1e9, "G"], [1e6, "M"], [1e3, "k"]] as const) {
    if (Math.abs(n) >= size) return `${Number((n / size).toFixed(1))}${unit}`;
  }
  return String(n);
}

/** 0.953 → "95.3%"; null → "–". */
export function pct(share: number | null): string {
  return share === null ? "–" : `${Number((share * 100).toFixed(1))}%`;
}

/** 812 → "812 ms", 1530 → "1.53 s"; null → "–". */
export function ms(value: number | null): string {
  if (value === null) return "–";
  return value < 1000 ? `${Math.round(value)} ms` : `${Number((value / 1000).toFixed(2))} s`;
}

/** US dollars, with enough digits for fractions of a cent. */
export function usd(value: number): string {
  return value >= 1 ? `$${value.toFixed(2)}` : `$${Number(value.toFixed(4))}`;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local wall-clock time, "14:03:07". */
export function clock(ts: number): string {
  const d = new Date(ts);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Local date and time, "2026-11-28 14:03". */
export function stamp(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

const LIMIT_ORDER = ["rpm", "rpd", "tpm", "tpd", "concurrency"] as const;

/** "rpm 30 · rpd 14.4k", a star on each operator override. */
export function limitsText(limits: Limits, overrides: Limits = {}): string {
  const parts = LIMIT_ORDER.filter((k) => limits[k] !== undefined).map((k) => `${k} ${compact(limits[k] as number)}${overrides[k] !== undefined ? "*" : ""}`);
  return parts.join(" · ") || "none";
}

/** "rpm 29/30 · rpd 999/1k" — what is left of each limit. */
export function remainingText(remaining: Limits, limits: Limits): string {
  const parts = LIMIT_ORDER.filter((k) => limits[k] !== undefined).map((k) => `${k} ${compact(Math.max(0, Math.floor(remaining[k] ?? limits[k] ?? 0)))}/${compact(limits[k] as number)}`);
  return parts.join(" · ") || "unlimited";
}

/** A routing state, coloured: ready green, probing/cooling yellow, disabled red, unconfigured dim. */
export function stateText(state: string, c: Palette): string {
  const label = state.replace(/_/g, " ");
  if (state === "ready") return c.green(label);
  if (state === "cooling_down" || state === "probing") return c.yellow(label);
  if (state === "disabled") return c.red(label);
  return c.dim(label);
}

/** The state of an actor from its snapshot, in the words of /v1/routing/status. */
export function stateOf(snapshot: { disabled: boolean; cooldownUntil: number; halfOpen: boolean }, now: number): string {
  if (snapshot.disabled) return "disabled";
  if (snapshot.cooldownUntil > now) return "cooling_down";
  return snapshot.halfOpen ? "probing" : "ready";
}

/** An HTTP status, coloured by class. */
export function statusText(status: number, c: Palette): string {
  const s = String(status);
  return status < 300 ? c.green(s) : status < 500 ? c.yellow(s) : c.red(s);
}

/** "1 key", "3 keys". */
export function count(n: number, noun: string): string {
  return `${int(n)} ${noun}${n === 1 ? "" : "s"}`;
}
