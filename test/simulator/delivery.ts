// Putting answers on the wire: SSE pumping with timing and scripted stream faults, and faulty JSON bodies.

import type { Frame } from "./chunks.ts";
import { DONE_FRAME } from "./chunks.ts";
import type { SimFault } from "./types.ts";
import { FOREVER_MS, resetError, abortError, sleep } from "./util.ts";

/** How a delivery reports back to the request log. */
export interface Tracker {
  /** the client's signal: abort = the client went away */
  signal: AbortSignal;
  onToken(): void;
  /** called exactly once, when the body ends for any reason */
  onFinish(aborted: boolean): void;
}

export interface StreamOptions {
  fault: SimFault | undefined;
  tokenIntervalMs: number;
  errorFrame: string;
  malformedFrame: string;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Where an "after N tokens" fault fires: before the (N+1)-th token frame, or after the last one. */
function triggerIndex(frames: readonly Frame[], afterTokens: number): number {
  const tokens: number[] = [];
  frames.forEach((f, i) => {
    if (f.token) tokens.push(i);
  });
  const n = Math.max(0, Math.floor(afterTokens));
  const at = tokens[n];
  if (at !== undefined) return at;
  const last = tokens[tokens.length - 1];
  if (last !== undefined) return last + 1;
  return frames.findIndex((f) => !f.text.startsWith(":")) + 1;
}

async function* produce(frames: readonly Frame[], o: StreamOptions, signal: AbortSignal): AsyncGenerator<Frame> {
  const fault = o.fault;
  // diverge changed the answer itself (chat plan); nothing happens on the wire at its point.
  const trigger =
    fault && fault.kind !== "diverge" && "afterTokens" in fault
      ? "afterFinish" in fault && fault.afterFinish
        ? triggerIndex(frames, Infinity) + 1
        : triggerIndex(frames, fault.afterTokens)
      : -1;
  const firstMs = fault?.kind === "slow" ? fault.firstTokenMs : 0;
  const interval = fault?.kind === "slow" && fault.tokenIntervalMs !== undefined ? fault.tokenIntervalMs : o.tokenIntervalMs;
  let started = false;
  let sent = 0;
  for (let i = 0; i <= frames.length; i++) {
    if (i === trigger && fault) {
      switch (fault.kind) {
        case "cut":
          if (fault.clean) return;
          throw resetError();
        case "stall":
          await sleep(FOREVER_MS, signal);
          throw resetError();
        case "malformed":
          yield { text: o.malformedFrame, token: false };
          break;
        case "error_chunk":
          yield { text: o.errorFrame, token: false };
          return;
        default:
          break;
      }
    }
    const f = frames[i];
    if (!f) break;
    // The role chunk and SSE keep-alive comments go out at once; a slow model is slow to its first token.
    if (!started && f.token) {
      started = true;
      await sleep(firstMs, signal);
    }
    if (f.token && sent > 0) await sleep(interval, signal);
    yield f;
    if (f.token) sent++;
  }
  if (fault?.kind !== "no_done") yield { text: DONE_FRAME, token: false };
}

/** An SSE body that pulls one frame per read, so the client sees it arrive chunk by chunk. */
export function sseBody(frames: readonly Frame[], o: StreamOptions, t: Tracker): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const internal = new AbortController();
  const signal = AbortSignal.any([t.signal, internal.signal]);
  const gen = produce(frames, o, signal);
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let finished = false;
  const finish = (aborted: boolean): void => {
    if (finished) return;
    finished = true;
    t.signal.removeEventListener("abort", onAbort);
    t.onFinish(aborted);
  };
  // An in-process client that aborts its fetch must see the body fail, as with a real socket.
  const onAbort = (): void => {
    if (finished) return;
    internal.abort();
    try {
      controller?.error(abortError(t.signal));
    } catch {
      // already closed
    }
    finish(true);
  };
  t.signal.addEventListener("abort", onAbort, { once: true });
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (t.signal.aborted) onAbort();
      },
      async pull(c) {
        try {
          const r = await gen.next();
          if (finished) return;
          if (r.done) {
            c.close();
            finish(false);
            return;
          }
          c.enqueue(encoder.encode(r.value.text));
          if (r.value.token) t.onToken();
        } catch (e) {
          if (finished) return;
          try {
            c.error(e);
          } catch {
            // already errored
          }
          finish(signal.aborted);
        }
      },
      cancel() {
        internal.abort();
        finish(true);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A JSON body broken by a fault: cut (half, then drop or end), stall (half, then silence), malformed. */
export function faultyJsonBody(text: string, fault: SimFault, t: Tracker): string | ReadableStream<Uint8Array> {
  const half = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  if (fault.kind === "malformed") {
    t.onFinish(false);
    return `${half}\n<html><body><h1>502 Bad Gateway</h1></body></html>`;
  }
  const encoder = new TextEncoder();
  const internal = new AbortController();
  const signal = AbortSignal.any([t.signal, internal.signal]);
  let finished = false;
  const finish = (aborted: boolean): void => {
    if (!finished) {
      finished = true;
      t.onFinish(aborted);
    }
  };
  let step = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (step++ === 0) {
          c.enqueue(encoder.encode(half));
          return;
        }
        try {
          if (fault.kind === "stall") await sleep(FOREVER_MS, signal);
          if (fault.kind === "cut" && fault.clean) {
            c.close();
            finish(false);
            return;
          }
          throw resetError();
        } catch (e) {
          try {
            c.error(signal.aborted ? abortError(signal) : e);
          } catch {
            // already errored
          }
          finish(signal.aborted);
        }
      },
      cancel() {
        internal.abort();
        finish(true);
      },
    },
    { highWaterMark: 0 },
  );
}
