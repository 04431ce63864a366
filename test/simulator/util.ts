// Small helpers shared by the simulator modules (web-standard APIs only).

export type JsonObject = Record<string, unknown>;

export function isRecord(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** Resolves after `ms`, rejects as soon as `signal` aborts; 0 ms resolves without a timer. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal ? abortError(signal) : new Error("aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * How long "never" lasts. workerd kills a request whose promise has no pending I/O
 * ("script will never generate a response"), so a hang is a long, abort-aware timer.
 */
export const FOREVER_MS = 10 * 60 * 1000;

const RESETS = new WeakSet<object>();

/**
 * The error a dropped connection gives in workerd's fetch: a plain TypeError("Network connection lost."),
 * remembered so the Node adapter knows to destroy the socket instead.
 */
export function resetError(): TypeError {
  const e = new TypeError("Network connection lost.");
  RESETS.add(e);
  return e;
}

export function isSimReset(e: unknown): boolean {
  return typeof e === "object" && e !== null && RESETS.has(e);
}

/** Go's time.Duration.String(), which Groq uses for x-ratelimit-reset-* ("2m59.56s", "7.66s"). */
export function goDuration(ms: number): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return `${trim(ms)}ms`;
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS - h * 3600) / 60);
  const s = totalS - h * 3600 - m * 60;
  let out = "";
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${trim(s)}s`;
}

function trim(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

export function utcDayStart(now: number): number {
  return Math.floor(now / 86_400_000) * 86_400_000;
}
