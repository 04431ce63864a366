// Requests as a caller makes them (the official SDK for JSON, raw fetch for streams, so the status, the headers,
// error events and `[DONE]` are all visible), and what the simulator's log says happened upstream.

import { APIError } from "openai";
import { trailingPrefill } from "../../../test/simulator/answer.ts";
import type { LogEntry } from "../../../test/simulator/types.ts";
import type { ChaosContext } from "./types.ts";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What the caller got, streamed or not. */
export interface Outcome {
  /** HTTP status; 0 = no HTTP answer at all (connection refused or dropped, or the scenario's deadline) */
  status: number;
  headers: Headers | undefined;
  /** the answer text as the caller assembled it */
  text: string;
  model: string;
  finishReason: string | null;
  usage: Usage | undefined;
  /** an error status's body, or a stream's error event: what the caller is told */
  error: { message: string; code: string | null } | undefined;
  /** the connection failed or dropped without an error event */
  transport: string | undefined;
  /** stream only: `data: [DONE]` arrived */
  done: boolean;
  /** ms from the request to the end of the answer */
  ms: number;
}

const EMPTY: Omit<Outcome, "ms"> = {
  status: 0,
  headers: undefined,
  text: "",
  model: "",
  finishReason: null,
  usage: undefined,
  error: undefined,
  transport: undefined,
  done: false,
};

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** A non-streamed chat completion through the official SDK. */
export async function askJson(ctx: ChaosContext, prompt: string): Promise<Outcome> {
  const t0 = Date.now();
  try {
    const { data, response } = await ctx.client.chat.completions
      .create({ model: ctx.model, messages: [{ role: "user", content: prompt }] }, { signal: ctx.signal })
      .withResponse();
    const choice = data.choices[0];
    return {
      ...EMPTY,
      status: response.status,
      headers: response.headers,
      text: choice?.message.content ?? "",
      model: data.model,
      finishReason: choice?.finish_reason ?? null,
      usage: data.usage,
      ms: Date.now() - t0,
    };
  } catch (e) {
    const ms = Date.now() - t0;
    if (e instanceof APIError && e.status !== undefined) {
      const body = e.error as { message?: unknown } | undefined;
      const message = typeof body?.message === "string" ? body.message : e.message;
      return { ...EMPTY, status: e.status, headers: e.headers, error: { message, code: typeof e.code === "string" ? e.code : null }, ms };
    }
    return { ...EMPTY, transport: describe(e), ms };
  }
}

/** A streamed chat completion read with fetch, event by event, the way the SDK's iterator judges it. */
export async function askStream(ctx: ChaosContext, prompt: string): Promise<Outcome> {
  const t0 = Date.now();
  const out: Outcome = { ...EMPTY, ms: 0 };
  let res: Response;
  try {
    res = await fetch(`${ctx.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ctx.apiKey}` },
      body: JSON.stringify({
        model: ctx.model,
        messages: [{ role: "user", content: prompt }],
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: ctx.signal,
    });
  } catch (e) {
    return { ...out, transport: describe(e), ms: Date.now() - t0 };
  }
  out.status = res.status;
  out.headers = res.headers;
  if (!res.ok || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    const body = await res.text().catch(() => "");
    const parsed = parseJson(body) as { error?: { message?: unknown; code?: unknown } } | undefined;
    const message = typeof parsed?.error?.message === "string" ? parsed.error.message : body.slice(0, 300);
    const code = typeof parsed?.error?.code === "string" ? parsed.error.code : null;
    if (!res.ok) out.error = { message, code };
    else out.transport = `a ${res.status} answer that is not an event stream: ${body.slice(0, 200)}`;
    return { ...out, ms: Date.now() - t0 };
  }
  const pieces: string[] = [];
  try {
    for await (const event of events(res.body)) {
      if (event.data === "[DONE]") {
        out.done = true;
        continue;
      }
      const chunk = parseJson(event.data) as Chunk | undefined;
      // The SDK raises on an `error` object in a chunk and on an `event: error` (openai/core/streaming).
      if (event.event === "error" || (chunk && chunk.error)) {
        const err = chunk?.error ?? chunk;
        const message = typeof err?.message === "string" ? err.message : event.data.slice(0, 300);
        out.error = { message, code: typeof err?.code === "string" ? err.code : null };
        break;
      }
      if (!chunk) {
        out.transport = `a malformed event reached the caller: ${event.data.slice(0, 120)}`;
        break;
      }
      if (typeof chunk.model === "string" && chunk.model !== "") out.model ||= chunk.model;
      if (chunk.usage) out.usage = chunk.usage;
      for (const c of chunk.choices ?? []) {
        if (typeof c.delta?.content === "string") pieces.push(c.delta.content);
        if (c.finish_reason) out.finishReason = c.finish_reason;
      }
    }
  } catch (e) {
    out.transport = `the stream broke: ${describe(e)}`;
  }
  out.text = pieces.join("");
  out.ms = Date.now() - t0;
  return out;
}

interface Chunk {
  model?: string;
  usage?: Usage;
  error?: { message?: unknown; code?: unknown };
  message?: unknown;
  code?: unknown;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** SSE events of a body: `event:` and joined `data:` lines; comments are skipped. */
async function* events(body: ReadableStream<Uint8Array> | null): AsyncGenerator<{ event: string | null; data: string }> {
  if (!body) return;
  const decoder = new TextDecoder();
  let buffer = "";
  const parse = (block: string): { event: string | null; data: string } | null => {
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      else if (line.startsWith("event:")) event = line.slice(6).trim();
    }
    return data.length > 0 || event ? { event, data: data.join("\n") } : null;
  };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    for (let at = buffer.search(/\r?\n\r?\n/); at >= 0; at = buffer.search(/\r?\n\r?\n/)) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at).replace(/^\r?\n\r?\n/, "");
      const e = parse(block);
      if (e) yield e;
    }
  }
  const last = parse(buffer + decoder.decode());
  if (last) yield last;
}

// ---- the simulator's side ----

/** The highest log seq so far: pass it to `callsSince` to see only what follows. */
export function logMark(ctx: ChaosContext): number {
  return ctx.sim.log(0).at(-1)?.seq ?? 0;
}

/** Chat calls the gateway made upstream since `mark`, oldest first; each provider seen counts as live. */
export function callsSince(ctx: ChaosContext, mark: number): LogEntry[] {
  const calls = ctx.sim.log(mark).filter((e) => e.endpoint === "chat");
  for (const c of calls) ctx.liveProviders.add(c.provider);
  return calls;
}

/** The calls that answered: status 200, no scripted fault, read to the end (not a hedge the gateway dropped). */
export function answered(calls: readonly LogEntry[]): LogEntry[] {
  return calls.filter((c) => c.status === 200 && c.fault === undefined && !c.aborted);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((ok) => {
    const timer = setTimeout(ok, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), ok()), { once: true });
  });
}

/** Waits (up to `ms`) until the log entry `seq` is marked aborted: a gateway closes an abandoned call at once. */
export async function abortedSoon(ctx: ChaosContext, seq: number, ms = 1000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (ctx.sim.log(seq - 1).find((e) => e.seq === seq)?.aborted) return true;
    if (Date.now() >= deadline || ctx.signal.aborted) return false;
    await sleep(50, ctx.signal);
  }
}

/** `provider/model` of a log entry, as freeway names a provider-model. */
export function idOf(e: LogEntry): string {
  return `${e.provider}/${e.model}`;
}

/** Whether the gateway sent this call as an assistant prefill to continue. */
export function isPrefill(c: LogEntry): boolean {
  const messages = (c.body as { messages?: unknown } | null)?.messages;
  return Array.isArray(messages) && trailingPrefill(messages) !== undefined;
}

/**
 * The upstream calls in a line, `groq/m cut → sambanova/n (prefill)`: the fault or non-200 status of each failed
 * one, and which calls continued an assistant prefill.
 */
export function upstreamPath(calls: readonly LogEntry[]): string {
  const steps = calls
    .slice(0, 6)
    .map((c) => `${idOf(c)}${isPrefill(c) ? " (prefill)" : ""}${c.fault ? ` ${c.fault}` : c.status !== 200 ? ` ${c.status || "no answer"}` : ""}`);
  return `${steps.join(" → ")}${calls.length > 6 ? ` → … (${calls.length} calls)` : ""}`;
}
