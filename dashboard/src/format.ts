// Numbers, durations and times as the dashboard shows them. Pure functions (tested in test/unit/dashboard-format).

const DASH = "—";

// Intl formatting (toLocaleString) costs more than the rest of a render on a slow machine; these tables format
// thousands of numbers, so the grouping is done by hand.
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** 1234 → "1,234"; 1_234_567 → "1.23M" */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return DASH;
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e5) return `${(n / 1e3).toFixed(1)}k`;
  return grouped(Math.round(n));
}

/** 0.9876 → "98.8 %" */
export function percent(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return DASH;
  return `${(share * 100).toFixed(digits)} %`;
}

/** 840 → "840 ms"; 1530 → "1.53 s" */
export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  return duration(v);
}

/** A span for people: "45 s", "3 min 05 s", "2 h 10 min", "3 d 4 h". */
export function duration(v: number): string {
  const s = Math.max(0, Math.ceil(v / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, "0")} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** USD, with enough digits for the small amounts free tiers save per request. */
export function usd(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  if (v === 0) return "$0";
  // Free tiers save fractions of a cent per request: show two significant digits rather than "$0.00".
  if (Math.abs(v) < 0.01) return `$${Number(v.toPrecision(2))}`;
  const [whole, cents] = Math.abs(v).toFixed(2).split(".");
  return `${v < 0 ? "-" : ""}$${grouped(Number(whole))}.${cents}`;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local wall-clock time, 24 h: "14:03:27" (or "14:03" without seconds). */
export function clock(ts: number, seconds = true): string {
  const d = new Date(ts);
  return seconds ? `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}` : `${two(d.getHours())}:${two(d.getMinutes())}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A moment relative to now for a table cell: "14:03:27" today, else "Mar 4 14:03". */
export function when(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const n = new Date(now);
  if (d.toDateString() === n.toDateString()) return clock(ts);
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${clock(ts, false)}`;
}

/** "in 3 min 05 s" / "5 s ago" */
export function relative(ts: number, now = Date.now()): string {
  const d = ts - now;
  return d >= 0 ? `in ${duration(d)}` : `${duration(-d)} ago`;
}

/** "1 request", "3 requests" (the count formatted as `count` does). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** Limits as a short line: "rpm 30 · rpd 14,400". */
export function limitsLine(l: Partial<Record<"rpm" | "rpd" | "tpm" | "tpd" | "concurrency", number>>): string {
  const parts = (["rpm", "rpd", "tpm", "tpd", "concurrency"] as const).filter((k) => l[k] !== undefined).map((k) => `${k} ${count(l[k])}`);
  return parts.length ? parts.join(" · ") : "none";
}
