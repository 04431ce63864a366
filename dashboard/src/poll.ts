// Live data: each view polls what it shows (one batched call per round), every POLL_MS while the tab is visible,
// and tells the shared Connection how the last round went — the header's "last updated" and the banner.

import { createContext } from "preact";
import { useCallback, useContext, useLayoutEffect, useRef, useState } from "preact/hooks";
import { asGatewayError, type GatewayError } from "./api.ts";

/** Under the 5 s: a request is on screen at most one round (plus the log's flush) after it finished. */
export const POLL_MS = 2000;

export interface Connection {
  /** the last round that succeeded, ms since epoch */
  lastOk: number | null;
  /** the failure of the latest round, if it failed */
  problem: GatewayError | null;
  /** when the next try is due (for "retrying in …") */
  retryAt: number | null;
  report(ok: true): void;
  report(ok: false, problem: GatewayError, retryAt: number): void;
}

export const ConnectionContext = createContext<Connection | null>(null);

/** The app's one Connection: state for the header and the banner. */
export function useConnectionState(): Connection {
  const [state, setState] = useState<{ lastOk: number | null; problem: GatewayError | null; retryAt: number | null }>({ lastOk: null, problem: null, retryAt: null });
  const report = useCallback((ok: boolean, problem?: GatewayError, retryAt?: number) => {
    setState((s) => (ok ? { lastOk: Date.now(), problem: null, retryAt: null } : { ...s, problem: problem ?? null, retryAt: retryAt ?? null }));
  }, []) as Connection["report"];
  return { ...state, report };
}

export interface Polled<T> {
  data: T | null;
  /** poll again now (after an action, so its effect shows at once) */
  refresh: () => void;
}

/**
 * Run `load` now and `every` ms (POLL_MS by default) after each round ends (rounds never overlap), again at once when `deps`
 * change, paused while the tab is hidden. Failures keep the last data on screen and retry on the same beat, or
 * after the gateway's Retry-After.
 */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[], every = POLL_MS): Polled<T> {
  const conn = useContext(ConnectionContext);
  const [data, setData] = useState<T | null>(null);
  const kick = useRef<() => void>(() => undefined);
  const loadRef = useRef(load);
  loadRef.current = load;

  // A layout effect: the first request leaves as soon as the view is in the DOM, not a frame later.
  useLayoutEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ctl: AbortController | null = null;
    let stopped = false;
    const round = async (): Promise<void> => {
      clearTimeout(timer);
      ctl?.abort();
      const mine = (ctl = new AbortController());
      let wait = every;
      try {
        const value = await loadRef.current(mine.signal);
        if (stopped || mine.signal.aborted) return;
        setData(value);
        conn?.report(true);
      } catch (e) {
        if (stopped || mine.signal.aborted) return;
        const problem = asGatewayError(e);
        wait = Math.max(every, problem.retryAfterMs ?? 0);
        conn?.report(false, problem, Date.now() + wait);
      }
      if (!stopped && !document.hidden) timer = setTimeout(() => void round(), wait);
    };
    const onVisible = (): void => {
      if (!document.hidden) void round();
    };
    kick.current = () => void round();
    document.addEventListener("visibilitychange", onVisible);
    void round();
    return () => {
      stopped = true;
      clearTimeout(timer);
      ctl?.abort();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [...deps, every]);

  const refresh = useCallback(() => kick.current(), []);
  return { data, refresh };
}
