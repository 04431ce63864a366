// Request coalescing: identical concurrent non-streaming requests that are deterministic (temperature 0 or a
// fixed seed) from the same key share one upstream call. Per isolate: concurrent duplicates from one client
// land in the same isolate far more often than not, and sharing across isolates would cost an actor call each.

import type { RequestLog } from "./ledger.ts";
import { HttpError } from "./errors.ts";
import { isObject, type ChatRequest } from "./validate.ts";

interface Shared {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** One shared upstream run, and the callers still waiting for it. */
interface Flight {
  answer: Promise<Shared>;
  /** aborts the shared run: only once every caller waiting for it has hung up */
  stop: AbortController;
  waiting: number;
}

const inflight = new Map<string, Flight>();

/** `signal`'s caller waits for `f`: the run goes on while anyone waits, and stops when the last one hangs up. */
function join(f: Flight, signal: AbortSignal): void {
  if (f.stop.signal.aborted || signal.aborted) return;
  f.waiting++;
  signal.addEventListener(
    "abort",
    () => {
      if (--f.waiting === 0) f.stop.abort();
    },
    { once: true },
  );
}

export interface CoalesceContext {
  requestId: string;
  /** the caller's connection */
  signal: AbortSignal;
  /** keeps the shared run alive when its first caller's request is over (it hung up) while others wait */
  waitUntil?: (p: Promise<unknown>) => void;
  /** the key the caller was admitted with (null: anonymous) */
  keyId: string | null;
  onUsage?: (tokens: number) => void;
  log?: RequestLog;
}

/**
 * The sharing key of a request that may share an answer, or null. `caller` is who is asking (the limiter that
 * admitted it: one gateway key, or one anonymous client): answers are shared only within one caller, or a client
 * would learn that somebody else is asking the very same thing right now.
 */
export function coalesceKey(req: ChatRequest, caller: string | null): string | null {
  if (req.stream === true) return null;
  if (req.temperature !== 0 && typeof req.seed !== "number") return null;
  return `${caller ?? "anonymous"}\n${JSON.stringify(req)}`;
}

/**
 * Run `serve` unless an identical request is already running; then wait for its answer and share it. `serve` is
 * given the signal to stop on: the first caller hanging up must not stop the call the others wait for.
 */
export async function coalesce(key: string, c: CoalesceContext, serve: (signal: AbortSignal) => Promise<Response>): Promise<Response> {
  const running = inflight.get(key);
  if (running) {
    join(running, c.signal);
    let shared: Shared;
    try {
      shared = await running.answer;
    } catch (e) {
      // Everyone waiting for it had hung up (this one joined as it stopped): this one asks for its own.
      if (e instanceof HttpError && e.status === 499) return coalesce(key, c, serve);
      throw e;
    }
    return follower(shared, c);
  }
  const flight: Flight = { answer: undefined as unknown as Promise<Shared>, stop: new AbortController(), waiting: 0 };
  join(flight, c.signal);
  if (flight.waiting === 0) flight.stop.abort(); // gone already
  flight.answer = serve(flight.stop.signal).then(async (res) => ({ status: res.status, headers: [...res.headers], body: await res.text() }));
  inflight.set(key, flight);
  c.waitUntil?.(flight.answer.catch(() => undefined));
  try {
    const shared = await flight.answer;
    return new Response(shared.body, { status: shared.status, headers: shared.headers });
  } finally {
    inflight.delete(key);
  }
}

/** A caller that got a shared answer: its own request id and log record, charged for the answer's tokens. */
function follower(shared: Shared, c: CoalesceContext): Response {
  const headers = new Headers(shared.headers);
  headers.set("x-request-id", c.requestId);
  headers.set("x-freeway-coalesced", "true");
  const model = headers.get("x-freeway-model") ?? "";
  const provider = headers.get("x-freeway-provider") ?? "";
  let prompt = 0;
  let completion = 0;
  try {
    const body: unknown = JSON.parse(shared.body);
    const u = isObject(body) && isObject(body.usage) ? body.usage : {};
    prompt = typeof u.prompt_tokens === "number" ? u.prompt_tokens : 0;
    completion = typeof u.completion_tokens === "number" ? u.completion_tokens : 0;
  } catch {
    // not JSON: nothing to count
  }
  c.onUsage?.(prompt + completion);
  c.log?.attempt({ model, provider, outcome: "coalesced" });
  c.log?.answered({ model, provider, tokensIn: prompt, tokensOut: completion, streamed: false });
  return new Response(shared.body, { status: shared.status, headers });
}
