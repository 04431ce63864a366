// Calendar days in a provider's time zone: daily allowances reset at that zone's midnight.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Building an Intl formatter costs far more CPU than using one; keep one per zone for the isolate's life.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  day: string;
  secondsIntoDay: number;
}

function local(timeZone: string, now: number): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(now))) parts[p.type] = p.value;
  const h = Number(parts.hour ?? 0);
  const m = Number(parts.minute ?? 0);
  const s = Number(parts.second ?? 0);
  return { day: `${parts.year}-${parts.month}-${parts.day}`, secondsIntoDay: h * 3600 + m * 60 + s };
}

function computeReset(timeZone: string, now: number): { day: string; resetAt: number } {
  const { day, secondsIntoDay } = local(timeZone, now);
  const whole = Math.floor(now / 1000) * 1000;
  let guess = whole + (86_400 - secondsIntoDay) * 1000;
  // A DST change between now and midnight moves local midnight by up to an hour: step until the day changes.
  for (let i = 0; i < 3 && local(timeZone, guess).day === day; i++) guess += 3_600_000;
  for (let i = 0; i < 3 && local(timeZone, guess - 3_600_000).day !== day; i++) guess -= 3_600_000;
  return { day, resetAt: guess };
}

/** The current day per zone, valid until its reset: every admission asks, and formatting dates is slow. */
const current = new Map<string, { day: string; resetAt: number; from: number }>();

function window(timeZone: string, now: number): { day: string; resetAt: number } {
  const hit = current.get(timeZone);
  if (hit && now >= hit.from && now < hit.resetAt) return hit;
  const w = computeReset(timeZone, now);
  current.set(timeZone, { ...w, from: now });
  return w;
}

/** "YYYY-MM-DD" of `now` in the zone. */
export function dayKey(timeZone: string, now: number): string {
  return window(timeZone, now).day;
}

/** The next midnight in the zone, as ms since epoch. */
export function nextReset(timeZone: string, now: number): number {
  return window(timeZone, now).resetAt;
}

/**
 * Until when a provider's word that a daily allowance is used up holds, when it names no moment: the zone's
 * midnight, or on a rolling day the time one request's share of the day takes to come back (a minute when no
 * request limit is known to measure by).
 */
export function dailySpentUntil(days: { timeZone: string; rolling?: boolean }, rpd: number | undefined, now: number): number {
  if (!days.rolling) return nextReset(days.timeZone, now);
  return now + (rpd ? Math.ceil(86_400_000 / rpd) : 60_000);
}
