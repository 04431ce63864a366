// Reading the many ways providers say "wait": Retry-After, Go durations, epoch resets, "try again in …".

/** "2m59.56s", "7.66s", "1h2m", "850ms" → milliseconds. */
export function goDuration(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of s.trim().matchAll(re)) {
    matched = true;
    const n = Number(m[1]);
    const unit = m[2];
    total += unit === "h" ? n * 3_600_000 : unit === "m" ? n * 60_000 : unit === "s" ? n * 1000 : unit === "ms" ? n : n / 1000;
  }
  if (!matched) {
    const n = Number(s);
    return Number.isFinite(n) ? n * 1000 : undefined;
  }
  return Math.round(total);
}

/** Retry-After (seconds or an HTTP date) or retry-after-ms, as ms from now. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get("retry-after");
  if (ra === null || ra.trim() === "") return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** "Please try again in 9m38.016s" (Groq) → ms. */
export function tryAgainIn(message: string): number | undefined {
  const m = /try again in\s+([0-9hms.µu]+)/i.exec(message);
  return m ? goDuration(m[1]) : undefined;
}

/** A rate-limit header's number: a limit, a count left or a reset, none of which is ever negative (a -1 is no fact). */
export function num(headers: Headers, name: string): number | undefined {
  const v = headers.get(name);
  if (v === null || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A reset given as seconds (float) until reset. */
export function secondsMs(headers: Headers, name: string): number | undefined {
  const n = num(headers, name);
  return n === undefined ? undefined : Math.round(n * 1000);
}
