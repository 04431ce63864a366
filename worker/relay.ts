// The caller's side of a streamed answer. It passes a leg's chunks on under one id, holds tool-call fragments
// until each call is whole, and when a committed leg breaks, asks for a rescue and continues the same answer:
// from the text already sent (prefill), or from a restart whose repetition of that text is suppressed. An
// answer that cannot be continued truthfully ends with an explicit error event, never as a finished one.

import type { Usage } from "./adapters/types.ts";
import type { Leg } from "./leg.ts";
import { redact } from "./redact.ts";
import type { RouteTrace } from "./route.ts";
import { sseData } from "./sse.ts";
import { DONE, sentTokens, usageJson } from "./stream.ts";
import { isObject, type JsonObject } from "./validate.ts";

/** What the caller has received so far: what a rescue must continue or reproduce. */
export interface Sent {
  /** choice 0's text content */
  content: string;
  /** reasoning text (reasoning / reasoning_content deltas) */
  reasoning: string;
  /** choice 0's refusal text */
  refusal: string;
  /** whole tool calls */
  toolCalls: ToolCall[];
  /** content chunks passed on (≈ completion tokens) */
  contentChunks: number;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A leg that continues a broken answer: `prefill` continues the text sent, `restart` begins again. */
export interface Rescue {
  leg: Leg;
  mode: "prefill" | "restart";
}

/** How the caller's stream ended, for the request log and the key's token quota. */
export interface RelayEnd {
  /** the leg that answered last (the one whose model and usage the caller saw at the end) */
  leg: Leg;
  usage: Usage;
  /** null when the answer is complete; an error code otherwise */
  error: string | null;
  /** time to the first content the caller received */
  ttftMs: number | undefined;
}

/** An SSE comment: readers skip it; it only shows the connection is alive. */
const KEEP_ALIVE = new TextEncoder().encode(": freeway is continuing the answer\n\n");
const KEEP_ALIVE_MAX_MS = 10_000;

export interface RelayOptions {
  /** the caller asked for stream_options.include_usage */
  includeUsage: boolean;
  /** continues a broken answer, or null (n > 1, or nothing left to try); absent: no rescues */
  rescue?: (sent: Sent, failure: string) => Promise<Rescue | null>;
  trace: RouteTrace;
  /** put the route trace in a last chunk (`freeway.route`) */
  traceInBody: boolean;
  /** when the request arrived */
  started: number;
  onEnd: (end: RelayEnd) => void;
  /** the caller hung up: stop whatever is still being tried for it (a rescue in flight) */
  onCancel?: () => void;
}

/** Partial tool calls of the current leg, by the leg's own index. */
interface Pending {
  id: string;
  name: string;
  arguments: string;
}

export class Relay {
  readonly readable: ReadableStream<Uint8Array>;
  /** settles when the answer has ended, however it ended (for waitUntil) */
  readonly ended: Promise<void>;
  #ended!: () => void;
  #leg: Leg;
  #mode: "first" | Rescue["mode"] = "first";
  #id = "";
  #created = 0;
  #roleSent = false;
  #finished = false;
  /** the keep-alive timer while a rescue has nothing for the caller yet */
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #firstContentAt = 0;
  /** what the caller has */
  readonly #sent: Sent = { content: "", reasoning: "", refusal: "", toolCalls: [], contentChunks: 0 };
  /** the current leg's unfinished tool calls, by the leg's index (or one of ours, see `callKey`) */
  #pending = new Map<number, Pending>();
  /** the key of the call the current leg's last tool-call part went to, and the highest key it used */
  #lastKey: number | undefined;
  #maxKey = -1;
  /** what a restarted leg must reproduce before anything new is passed on */
  #skip = { content: "", reasoning: "", refusal: "", toolCalls: 0 };
  /** the current leg's thinking is not passed on (a continuation's, or a restart's when the caller has only thinking) */
  #quietThinking = false;
  /** whole tool calls the current leg produced */
  #legCalls = 0;
  /** the original failure, once a leg broke: what the caller sees if nothing can rescue the answer */
  #firstFailure: { model: string; message: string; code: string } | null = null;

  constructor(
    first: Leg,
    private readonly o: RelayOptions,
  ) {
    this.#leg = first;
    this.ended = new Promise((resolve) => (this.#ended = resolve));
    this.readable = new ReadableStream<Uint8Array>({
      pull: (c) => this.pull(c),
      cancel: () => {
        if (this.#finished) return;
        this.#finished = true;
        this.o.onCancel?.();
        this.#leg.close({ kind: "cancelled" });
        this.done(this.endOf(this.#leg, "client_closed"));
      },
    });
  }

  private done(end: RelayEnd): void {
    this.quietEnds();
    try {
      this.o.onEnd(end);
    } finally {
      this.#ended();
    }
  }

  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      await this.step(c);
    } catch (e) {
      // Our bug, not the provider's: end the answer explicitly rather than leave the caller hanging.
      if (this.#finished) return;
      console.error("stream relay failed", e instanceof Error ? e.message : String(e));
      this.#finished = true;
      this.#leg.close({ kind: "dropped" });
      this.end(c, this.#leg, "The answer is incomplete: the gateway failed while passing it on", "stream_failed");
    }
  }

  /** Send at least one chunk (or end the stream) per pull, so backpressure reaches the provider. */
  private async step(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      const leg = this.#leg;
      const r = await leg.next();
      if (this.#finished) return;
      if (r.kind === "chunk") {
        const out = this.transform(r.chunk, leg);
        if (out === "diverged") return this.diverged(c, leg);
        if (out.length === 0) continue;
        this.quietEnds();
        for (const o of out) c.enqueue(o);
        return;
      }
      if (r.kind === "end") {
        const tail = this.completeCalls(leg, Infinity);
        if (tail === "diverged" || this.#skip.content || this.#skip.reasoning || this.#skip.refusal || this.#skip.toolCalls > this.#legCalls) {
          // A restart that ended before reproducing what the caller already has is a different answer.
          return this.diverged(c, leg);
        }
        for (const o of tail) c.enqueue(o);
        return this.finish(c, leg, r.missingDone);
      }
      // The leg broke. Whatever it held of an unfinished tool call never reached the caller.
      const outcome = leg.close({ kind: "broken", reason: r.reason, providerError: r.providerError });
      const message = redact(r.message, [leg.a.provider.key]);
      this.#firstFailure ??= { model: leg.model, message, code: `stream_${r.reason}` };
      this.o.trace.add(leg.model, "broke", `${r.reason}: ${message}`.slice(0, 200));
      // A refusal of the caller's own request (content policy) would be refused again anywhere.
      const rescuable = this.o.rescue && outcome?.failure !== "caller";
      if (rescuable) this.quietBegins(c, leg.a.settings.idleTimeoutMs);
      const rescue = rescuable && this.o.rescue ? await this.o.rescue(this.sent(), message) : null;
      if (this.#finished) {
        rescue?.leg.close({ kind: "cancelled" });
        return;
      }
      if (!rescue) return this.fail(c, leg);
      this.o.trace.decide(leg.model, `rescued by ${rescue.leg.model} (${rescue.mode})`);
      this.switchTo(rescue);
    }
  }

  /**
   * A rescue sends the caller nothing for a while: finding a model, its first token, then (a restart) its replay
   * of what the caller already has. Keep-alive comments, which SSE readers skip, go out meanwhile at half the
   * idle timeout (freeway's own measure of a stall), so that the caller and proxies in between do not give up.
   */
  private quietBegins(c: ReadableStreamDefaultController<Uint8Array>, idleMs: number): void {
    if (this.#keepAlive !== undefined) return;
    this.#keepAlive = setInterval(() => {
      if (this.#finished) return this.quietEnds();
      c.enqueue(KEEP_ALIVE.slice());
    }, Math.min(KEEP_ALIVE_MAX_MS, Math.max(1, Math.floor(idleMs / 2))));
  }

  private quietEnds(): void {
    if (this.#keepAlive === undefined) return;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  private sent(): Sent {
    return { ...this.#sent, toolCalls: [...this.#sent.toolCalls] };
  }

  private switchTo(r: Rescue): void {
    this.#leg = r.leg;
    this.#mode = r.mode;
    this.#pending = new Map();
    this.#lastKey = undefined;
    this.#maxKey = -1;
    this.#legCalls = 0;
    const s = this.#sent;
    // A caller that has only thinking, no answer yet, gets the restart's answer: its own thinking again is no part of it.
    const thoughtOnly = s.content === "" && s.refusal === "" && s.toolCalls.length === 0;
    this.#skip =
      r.mode === "restart" ? { content: s.content, reasoning: thoughtOnly ? "" : s.reasoning, refusal: s.refusal, toolCalls: s.toolCalls.length } : { content: "", reasoning: "", refusal: "", toolCalls: 0 };
    this.#quietThinking = r.mode === "prefill" || (thoughtOnly && s.reasoning !== "");
  }

  /** A chunk of our own making, in the answer's id and time. */
  private own(leg: Leg, rest: JsonObject): Uint8Array {
    return sseData(JSON.stringify({ id: this.#id || "chatcmpl-freeway", object: "chat.completion.chunk", created: this.#created || Math.floor(Date.now() / 1000), model: leg.model, ...rest }));
  }

  /** The caller's version of a leg's chunk (possibly several, possibly none), or "diverged". */
  private transform(chunk: JsonObject, leg: Leg): Uint8Array[] | "diverged" {
    if (!this.#id) {
      this.#id = typeof chunk.id === "string" ? chunk.id : `chatcmpl-${crypto.randomUUID()}`;
      this.#created = typeof chunk.created === "number" ? chunk.created : Math.floor(Date.now() / 1000);
    }
    chunk.id = this.#id;
    chunk.created = this.#created;
    chunk.model = leg.model;
    delete chunk.x_groq;
    const out: Uint8Array[] = [];
    if (chunk.usage !== undefined && chunk.usage !== null) {
      // Usage is the answering leg's: sent at the end (finish), never mid-answer from a leg that may break.
      delete chunk.usage;
    }
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    if (choices.length === 0) return out; // a usage-only chunk: usage goes out when the answer ends
    if (!this.o.rescue) {
      // No rescues (n > 1): passed on as it comes, roles, tool-call fragments and all.
      out.push(sseData(JSON.stringify(chunk)));
      this.noteContent(choices);
      return out;
    }
    const choice = choices[0];
    if (!isObject(choice)) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.role === "string") {
      if (this.#roleSent) delete delta.role;
      else this.#roleSent = true;
    }
    for (const key of ["reasoning_content", "reasoning"] as const) {
      const text = delta[key];
      if (typeof text !== "string" || text === "") continue;
      // A continuation's thinking is not part of the answer the caller is reading; nor is a restart's thinking
      // beyond what the caller already saw, once the answer itself has begun (it would come after the text).
      if (this.#quietThinking || (this.#mode === "restart" && this.#skip.reasoning === "" && this.#sent.content !== "")) {
        delete delta[key];
        continue;
      }
      const kept = this.reproduce("reasoning", text);
      if (kept === null) return "diverged";
      if (kept === "") delete delta[key];
      else {
        delta[key] = kept;
        this.#sent.reasoning += kept;
      }
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") {
      const kept = this.reproduce("refusal", delta.refusal);
      if (kept === null) return "diverged";
      if (kept === "") delete delta.refusal;
      else {
        delta.refusal = kept;
        this.#sent.refusal += kept;
      }
    }
    if (typeof delta.content === "string") {
      const text = delta.content;
      if (text !== "") {
        // Content after reasoning the caller saw must come after the same reasoning.
        if (this.#skip.reasoning) return "diverged";
        const kept = this.reproduce("content", text);
        if (kept === null) return "diverged";
        // The logprobs of the part the caller already has are not sent again either.
        if (kept.length < text.length) trimLogprobs(choice, text.length - kept.length);
        delta.content = kept;
        this.#sent.content += kept;
        if (kept !== "") {
          this.#sent.contentChunks++;
          this.#firstContentAt ||= Date.now();
        }
      }
      if (delta.content === "" && delta.role === undefined) delete delta.content;
    }
    // A `content: null` beside a role already sent (a restarted leg's first chunk) says nothing to the caller.
    if (delta.content === null && delta.role === undefined) delete delta.content;
    if (Array.isArray(delta.tool_calls)) {
      for (const part of delta.tool_calls) {
        if (!isObject(part)) continue;
        const index = this.callKey(part);
        // A new call begins: the ones before it are whole.
        const done = this.completeCalls(leg, index);
        if (done === "diverged") return "diverged";
        out.push(...done);
        const p = this.#pending.get(index) ?? { id: "", name: "", arguments: "" };
        if (typeof part.id === "string" && part.id) p.id = part.id;
        const fn = isObject(part.function) ? part.function : {};
        if (typeof fn.name === "string") p.name += fn.name;
        if (typeof fn.arguments === "string") p.arguments += fn.arguments;
        this.#pending.set(index, p);
      }
      delete delta.tool_calls;
    }
    const finish = choice.finish_reason;
    if (typeof finish === "string" && finish !== "") {
      const done = this.completeCalls(leg, Infinity);
      if (done === "diverged") return "diverged";
      out.push(...done);
      if (this.#skip.content || this.#skip.reasoning || this.#skip.refusal || this.#skip.toolCalls > this.#legCalls) return "diverged";
    }
    const worth = Object.keys(delta).length > 0 || (typeof finish === "string" && finish !== "") || choice.logprobs != null;
    if (worth) {
      choice.delta = delta;
      out.push(sseData(JSON.stringify(chunk)));
    }
    return out;
  }

  /**
   * Which call a tool-call part belongs to. Usually its index; but some providers (Gemini's OpenAI layer) send
   * parallel calls each whole, with no index or index 0 every time: a part with a new id is then a new call, not
   * more of the last one (whose name and arguments it would otherwise be glued onto).
   */
  private callKey(part: JsonObject): number {
    let key = typeof part.index === "number" ? part.index : (this.#lastKey ?? 0);
    const open = this.#pending.get(key);
    const id = typeof part.id === "string" ? part.id : "";
    if (id !== "" && open !== undefined && open.id !== "" && open.id !== id) key = this.#maxKey + 1;
    // A call with its own id at a key already used and finished (index 0 every time) is a new call too.
    else if ((typeof part.index !== "number" || id !== "") && open === undefined && key <= this.#maxKey) key = this.#maxKey + 1;
    this.#lastKey = key;
    this.#maxKey = Math.max(this.#maxKey, key);
    return key;
  }

  /** Count what n > 1 streams pass on, for the first-token time. */
  private noteContent(choices: unknown[]): void {
    if (this.#firstContentAt) return;
    for (const c of choices) {
      const d = isObject(c) && isObject(c.delta) ? c.delta : {};
      if ((typeof d.content === "string" && d.content) || Array.isArray(d.tool_calls)) this.#firstContentAt = Date.now();
    }
  }

  /**
   * Of a restarted leg's text, the part the caller does not have yet ("" while it repeats what was sent), or
   * null when it says something else.
   */
  private reproduce(kind: "content" | "reasoning" | "refusal", text: string): string | null {
    const skip = this.#skip[kind];
    if (!skip) return text;
    if (skip.startsWith(text)) {
      this.#skip[kind] = skip.slice(text.length);
      return "";
    }
    if (text.startsWith(skip)) {
      this.#skip[kind] = "";
      return text.slice(skip.length);
    }
    return null;
  }

  /** Pass on (or, on a restart, check against what was sent) the current leg's tool calls below `below`. */
  private completeCalls(leg: Leg, below: number): Uint8Array[] | "diverged" {
    const out: Uint8Array[] = [];
    for (const index of [...this.#pending.keys()].sort((a, b) => a - b)) {
      if (index >= below) break;
      const p = this.#pending.get(index) as Pending;
      this.#pending.delete(index);
      const nth = this.#legCalls++;
      if (nth < this.#skip.toolCalls) {
        const had = this.#sent.toolCalls[nth];
        if (!had || had.name !== p.name || had.arguments !== p.arguments) return "diverged";
        continue;
      }
      const call: ToolCall = { id: p.id || `call_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`, name: p.name, arguments: p.arguments };
      const tool = { index: this.#sent.toolCalls.length, id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } };
      this.#sent.toolCalls.push(call);
      this.#firstContentAt ||= Date.now();
      const delta: JsonObject = { tool_calls: [tool] };
      if (!this.#roleSent) {
        delta.role = "assistant";
        this.#roleSent = true;
      }
      out.push(this.own(leg, { choices: [{ index: 0, delta, finish_reason: null }] }));
    }
    return out;
  }

  /** The provider's count, else an estimate of what the caller got (every leg's, every choice's). */
  private usage(leg: Leg): Usage {
    if (leg.state.usage) return leg.state.usage;
    if (!this.o.rescue) return { prompt: leg.a.promptTokens, completion: sentTokens(leg.state.contentChunks, leg.state.chars) };
    const s = this.#sent;
    const chars = s.content.length + s.reasoning.length + s.refusal.length + s.toolCalls.reduce((n, c) => n + c.name.length + c.arguments.length, 0);
    return { prompt: leg.a.promptTokens, completion: sentTokens(s.contentChunks, chars) };
  }

  private endOf(leg: Leg, error: string | null): RelayEnd {
    return { leg, usage: this.usage(leg), error, ttftMs: this.#firstContentAt ? this.#firstContentAt - this.o.started : undefined };
  }

  private finish(c: ReadableStreamDefaultController<Uint8Array>, leg: Leg, missingDone: boolean): void {
    this.#finished = true;
    leg.close({ kind: "finished", missingDone });
    if (this.o.includeUsage) {
      c.enqueue(this.own(leg, { choices: [], usage: usageJson(this.usage(leg)) }));
    }
    if (this.o.traceInBody) c.enqueue(this.own(leg, { choices: [], freeway: { route: this.o.trace.json() } }));
    c.enqueue(DONE);
    c.close();
    this.done(this.endOf(leg, null));
  }

  /** Nothing could continue the answer: the caller gets the original failure as an explicit error event. */
  private fail(c: ReadableStreamDefaultController<Uint8Array>, leg: Leg): void {
    const f = this.#firstFailure ?? { model: leg.model, message: "the stream broke", code: "stream_failed" };
    this.#finished = true;
    this.end(c, leg, `The answer from ${f.model} is incomplete: ${f.message}`, f.code);
  }

  /** A restarted answer that does not repeat what the caller has: stop rather than splice two answers. */
  private diverged(c: ReadableStreamDefaultController<Uint8Array>, leg: Leg): void {
    this.#finished = true;
    leg.close({ kind: "dropped" });
    this.o.trace.add(leg.model, "abandoned", "its restarted answer differs from the text already sent");
    const f = this.#firstFailure;
    const why = f ? `${f.model} broke off (${f.message}) and ` : "";
    this.end(c, leg, `The answer is incomplete: ${why}the answer ${leg.model} restarted differs from the ${this.#sent.content.length} characters already sent, so freeway stops instead of splicing two answers`, "stream_diverged");
  }

  private end(c: ReadableStreamDefaultController<Uint8Array>, leg: Leg, message: string, code: string): void {
    const error = { message, type: "upstream_error", param: null, code };
    // Every choice still open ends here (several only when n > 1, which is never rescued).
    const open = [...leg.state.started].filter((i) => !leg.state.finished.has(i)).sort((x, y) => x - y);
    const choices = (open.length > 0 ? open : [0]).map((index) => ({ index, delta: {}, finish_reason: "error" }));
    c.enqueue(this.own(leg, { choices, error }));
    if (this.o.traceInBody) c.enqueue(this.own(leg, { choices: [], freeway: { route: this.o.trace.json() } }));
    c.close();
    this.done(this.endOf(leg, code));
  }
}

/** Drop the logprobs of a chunk's first `chars` characters of content (tokens wholly inside them). */
function trimLogprobs(choice: JsonObject, chars: number): void {
  const lp = choice.logprobs;
  if (!isObject(lp) || !Array.isArray(lp.content)) return;
  let seen = 0;
  let drop = 0;
  for (const t of lp.content) {
    const token = isObject(t) && typeof t.token === "string" ? t.token : "";
    if (seen + token.length > chars) break;
    seen += token.length;
    drop++;
  }
  lp.content = lp.content.slice(drop);
  if (lp.content.length === 0) choice.logprobs = null;
}
