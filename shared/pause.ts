// A sleep that ends early when its signal aborts: used by the Worker (waiting for room) and the admin CLI (tail).

/** Resolve after `ms`, or as soon as `signal` aborts (at once if it already has). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done, { once: true });
  });
}
