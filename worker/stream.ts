// Reading upstream streams: SSE payloads one at a time under the watchdog, and what the chunks said so far
// (the commit window and the relay read it to tell a finished answer from a broken one).

import type { Usage } from "./adapters/types.ts";
import { SseParser, sseData } from "./sse.ts";
import type { Watchdog } from "./watchdog.ts";
import { isObject, type JsonObject } from "./validate.ts";

export type Read = { kind: "data"; data: string } | { kind: "end" } | { kind: "timeout" } | { kind: "error"; message: string };

/** Pulls SSE data payloads out of an upstream body, one at a time, watched by the attempt's watchdog. */
export class EventSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser = new SseParser();
  readonly #queue: string[] = [];
  readonly #watchdog: Watchdog;
  #ended = false;
  /** the watchdog's `expired` this source listens to (one listener per deadline, not one per read) */
  #listening: Promise<void> | undefined;
  /** ends the read in progress as a timeout */
  #wake: (() => void) | null = null;

  constructor(body: ReadableStream<Uint8Array>, watchdog: Watchdog) {
    this.#reader = body.getReader();
    this.#watchdog = watchdog;
  }

  /**
   * The next payload, or why there is none; `deadline` (ms since epoch) bounds the wait. With `idle`, any bytes
   * (a keep-alive comment, an empty `data:`) push the deadline to `idle.ms` after them, up to `idle.until`: a stall
   * is no bytes at all, and keep-alives alone hold a stream open only so long.
   * Between calls the watchdog is paused: a caller slow to ask for the next chunk is not a provider that stalled.
   */
  async next(deadline: number, idle?: { ms: number; until: number }): Promise<Read> {
    const r = await this.#next(deadline, idle);
    this.#watchdog.pause();
    return r;
  }

  async #next(deadline: number, idle: { ms: number; until: number } | undefined): Promise<Read> {
    for (;;) {
      const queued = this.#queue.shift();
      if (queued !== undefined) return { kind: "data", data: queued };
      if (this.#ended) return { kind: "end" };
      if (this.#watchdog.fired || Date.now() >= deadline) return { kind: "timeout" };
      this.#watchdog.set(deadline);
      const expired = this.#watchdog.expired;
      if (this.#listening !== expired) {
        // Racing each read against `expired` would leave a reaction (holding that read's chunk) on a promise that
        // lives as long as the request: one listener per deadline wakes whichever read is waiting.
        this.#listening = expired;
        void expired.then(() => this.#wake?.());
      }
      const r = await new Promise<ReadableStreamReadResult<Uint8Array> | { error: string } | "timeout">((resolve) => {
        this.#wake = () => resolve("timeout");
        this.#reader.read().then(resolve, (e: unknown) => resolve({ error: e instanceof Error ? e.message : String(e) }));
      });
      this.#wake = null;
      if (r === "timeout" || this.#watchdog.fired) return { kind: "timeout" };
      if ("error" in r) return { kind: "error", message: r.error };
      if (r.done) {
        this.#ended = true;
        this.#queue.push(...this.#parser.end());
        continue;
      }
      this.#queue.push(...this.#parser.push(r.value));
      if (idle && r.value.byteLength > 0) deadline = Math.max(deadline, Math.min(Date.now() + idle.ms, idle.until));
    }
  }

  cancel(): void {
    this.#reader.cancel().catch(() => undefined);
  }
}

/** What a chunk told us, accumulated over the stream. */
export class StreamState {
  /** choice indexes that produced output, and those that finished */
  readonly started = new Set<number>();
  readonly finished = new Set<number>();
  usage: Usage | undefined;
  /** a top-level usage chunk was passed to the caller */
  usageSent = false;
  contentChunks = 0;
  /** characters of output (content, reasoning, refusals, tool calls) over every choice: a usage estimate */
  chars = 0;
  id = "";
  created = 0;
  firstContentAt = 0;

  /** Record a parsed chunk; returns whether it carries content (what opens the commit window). */
  observe(chunk: JsonObject, usage: Usage | undefined): boolean {
    if (typeof chunk.id === "string" && !this.id) this.id = chunk.id;
    if (typeof chunk.created === "number" && !this.created) this.created = chunk.created;
    if (usage) this.usage = usage;
    let content = false;
    for (const c of Array.isArray(chunk.choices) ? chunk.choices : []) {
      if (!isObject(c)) continue;
      const index = typeof c.index === "number" ? c.index : 0;
      // Some servers (Ollama, SGLang, KoboldCpp) put "" or "null" on every chunk: that is no finish, and the
      // caller gets the null OpenAI sends.
      if (c.finish_reason === "" || c.finish_reason === "null") c.finish_reason = null;
      const d = isObject(c.delta) ? c.delta : {};
      const before = this.chars;
      for (const k of ["content", "refusal", "reasoning", "reasoning_content"] as const) {
        const v = d[k];
        if (typeof v === "string") this.chars += v.length;
      }
      if (Array.isArray(d.tool_calls)) {
        for (const t of d.tool_calls) {
          const fn = isObject(t) && isObject(t.function) ? t.function : {};
          this.chars += (typeof fn.name === "string" ? fn.name.length : 0) + (typeof fn.arguments === "string" ? fn.arguments.length : 0);
        }
      }
      const has = this.chars > before || (Array.isArray(d.tool_calls) && d.tool_calls.length > 0);
      if (has) {
        content = true;
        this.started.add(index);
      }
      if (typeof c.finish_reason === "string" && c.finish_reason !== "error") {
        this.finished.add(index);
        this.started.add(index);
        content = true;
      }
    }
    if (content) {
      this.contentChunks++;
      if (!this.firstContentAt) this.firstContentAt = Date.now();
    }
    return content;
  }

  /** Every choice that started has finished: the answer is complete even if [DONE] never comes. */
  complete(): boolean {
    if (this.finished.size === 0) return false;
    for (const i of this.started) if (!this.finished.has(i)) return false;
    return true;
  }
}

/**
 * Tokens a stream delivered, when the provider did not say: a chunk holds at least one, and text runs about four
 * characters a token.
 */
export function sentTokens(chunks: number, chars: number): number {
  return Math.max(chunks, Math.ceil(chars / 4));
}

export function usageJson(u: Usage): JsonObject {
  return { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion };
}

export const DONE = sseData("[DONE]");
