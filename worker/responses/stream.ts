// A committed chat stream as Responses API events, chunk by chunk as they arrive: created and in_progress first,
// then items, content parts and deltas, then completed (or incomplete). A chat stream that ends in an error
// becomes response.failed plus an error event: a truncated answer never reads as completed.

import { SseParser } from "../sse.ts";
import { isObject, type Json, type JsonObject } from "../validate.ts";
import {
  ending,
  functionCallItem,
  itemStatus,
  messageItem,
  newId,
  responseObject,
  type ResponseState,
  refusalPart,
  type Status,
  textPart,
  usageOf,
} from "./shape.ts";
import type { ResponsesRequest } from "./validate.ts";

interface OpenMessage {
  index: number;
  id: string;
  text: string;
  refusal: string;
  /** its content parts in the order they began: the answer's text, the model's refusal */
  parts: Array<"text" | "refusal">;
}

interface OpenCall {
  index: number;
  id: string;
  callId: string;
  name: string;
  args: string;
}

const encoder = new TextEncoder();
const COLON = 0x3a;

export interface Finished {
  /** the final Response object (completed, incomplete or failed) */
  response: JsonObject;
}

/** Translates one chat SSE body into Responses events; `finish` runs (to store the answer) before the last event. */
export class ResponsesStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser = new SseParser();
  readonly #state: ResponseState;
  #seq = 0;
  #message: OpenMessage | null = null;
  #calls = new Map<number, OpenCall>();
  #finish: string | null = null;
  #ended = false;
  /** the caller went away: nothing more may be enqueued */
  #cancelled = false;
  #out = "";

  constructor(
    chat: ReadableStream<Uint8Array>,
    private readonly req: ResponsesRequest,
    state: { id: string; createdAt: number; model: string },
    private readonly finish: (r: Finished) => Promise<void>,
  ) {
    this.#reader = chat.getReader();
    this.#state = { ...state, status: "in_progress", output: [], usage: null, error: null, incomplete: null };
    this.readable = new ReadableStream<Uint8Array>({
      start: (c) => {
        const r = responseObject(this.req, this.#state);
        this.#emit("response.created", { response: r });
        this.#emit("response.in_progress", { response: r });
        this.#flush(c);
      },
      pull: (c) => this.#pull(c),
      cancel: () => {
        this.#ended = true;
        this.#cancelled = true;
        return this.#reader.cancel();
      },
    });
  }

  /** Events wait here and leave in one piece per pull: one chat chunk often makes several events. */
  #emit(type: string, payload: JsonObject): void {
    this.#out += `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: this.#seq++ })}\n\n`;
  }

  #flush(c: ReadableStreamDefaultController<Uint8Array>): void {
    if (this.#out === "" || this.#cancelled) return;
    c.enqueue(encoder.encode(this.#out));
    this.#out = "";
  }

  /** At least one event (or the end) per pull, so backpressure reaches the provider. */
  async #pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    while (!this.#ended) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await this.#reader.read();
      } catch (e) {
        return this.#fail(c, "stream_cut", `The answer is incomplete: it broke off (${e instanceof Error ? e.message : String(e)})`);
      }
      const payloads = r.done ? this.#parser.end() : this.#parser.push(r.value);
      // The chat relay's keep-alive comment (a rescue under way) is passed on as it is: the caller waits too.
      if (!r.done && payloads.length === 0 && r.value[0] === COLON && this.#out === "") {
        c.enqueue(r.value);
        return;
      }
      const before = this.#seq;
      for (const data of payloads) {
        if (this.#ended) return;
        if (data === "[DONE]") return this.#complete(c);
        let chunk: unknown;
        try {
          chunk = JSON.parse(data);
        } catch {
          return this.#fail(c, "stream_malformed", "The answer is incomplete: it arrived garbled");
        }
        if (isObject(chunk)) {
          const failed = this.#chunk(c, chunk);
          if (failed) return failed;
        }
      }
      if (this.#ended) return;
      // The gateway's chat stream always ends with [DONE] or an error chunk; anything else is a cut.
      if (r.done) return this.#fail(c, "stream_cut", "The answer is incomplete: it ended before it finished");
      if (this.#seq > before) return this.#flush(c);
    }
  }

  /** Apply one chat chunk; returns the failure's promise when the chunk ends the answer with an error. */
  #chunk(c: ReadableStreamDefaultController<Uint8Array>, chunk: JsonObject): Promise<void> | undefined {
    const usage = usageOf(chunk.usage);
    if (usage) this.#state.usage = usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((x): x is JsonObject => isObject(x) && (x.index ?? 0) === 0);
    // Some servers put `"error": null` on every chunk (Foundry Local): only an error that is there counts.
    if ((chunk.error !== undefined && chunk.error !== null) || choice?.finish_reason === "error") {
      const e = isObject(chunk.error) ? chunk.error : {};
      return this.#fail(c, typeof e.code === "string" ? e.code : "upstream_error", typeof e.message === "string" ? e.message : "The answer is incomplete: it broke off");
    }
    if (!choice) return undefined;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === "string" && delta.content !== "") this.#part("text", delta.content);
    if (typeof delta.refusal === "string" && delta.refusal !== "") this.#part("refusal", delta.refusal);
    for (const tc of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) if (isObject(tc)) this.#toolCall(tc);
    if (typeof choice.finish_reason === "string") this.#finish = choice.finish_reason;
    return undefined;
  }

  /** Text of the answer, or of the model's refusal (a content part of its own, never passed off as the answer). */
  #part(kind: "text" | "refusal", delta: string): void {
    let m = this.#message;
    if (!m) {
      m = { index: this.#state.output.length, id: newId("msg"), text: "", refusal: "", parts: [] };
      this.#message = m;
      const item = { id: m.id, type: "message", status: "in_progress", role: "assistant", content: [] as Json[] };
      this.#state.output.push(item);
      this.#emit("response.output_item.added", { output_index: m.index, item });
    }
    let content_index = m.parts.indexOf(kind);
    if (content_index < 0) {
      content_index = m.parts.push(kind) - 1;
      this.#emit("response.content_part.added", { item_id: m.id, output_index: m.index, content_index, part: kind === "text" ? textPart("") : refusalPart("") });
    }
    const at = { item_id: m.id, output_index: m.index, content_index };
    if (kind === "text") {
      m.text += delta;
      this.#emit("response.output_text.delta", { ...at, delta, logprobs: [] });
    } else {
      m.refusal += delta;
      this.#emit("response.refusal.delta", { ...at, delta });
    }
  }

  #toolCall(tc: JsonObject): void {
    const index = typeof tc.index === "number" ? tc.index : 0;
    const fn = isObject(tc.function) ? tc.function : {};
    let call = this.#calls.get(index);
    if (!call) {
      // Text before a call is done: a call starts a new output item. So are the calls before it (the relay sends
      // each call whole), and OpenAI finishes each item before it adds the next.
      this.#closeMessage("completed");
      this.#closeCalls("completed");
      call = { index: this.#state.output.length, id: newId("fc"), callId: typeof tc.id === "string" ? tc.id : newId("fc"), name: typeof fn.name === "string" ? fn.name : "", args: "" };
      this.#calls.set(index, call);
      const item = functionCallItem(call.id, call.callId, call.name, "", "in_progress");
      this.#state.output.push(item);
      this.#emit("response.output_item.added", { output_index: call.index, item });
    }
    const piece = typeof fn.arguments === "string" ? fn.arguments : "";
    if (piece !== "") {
      call.args += piece;
      this.#emit("response.function_call_arguments.delta", { item_id: call.id, output_index: call.index, delta: piece });
    }
  }

  #closeMessage(status: Status): void {
    const m = this.#message;
    if (!m) return;
    this.#message = null;
    m.parts.forEach((kind, content_index) => {
      const at = { item_id: m.id, output_index: m.index, content_index };
      if (kind === "text") this.#emit("response.output_text.done", { ...at, text: m.text, logprobs: [] });
      else this.#emit("response.refusal.done", { ...at, refusal: m.refusal });
      this.#emit("response.content_part.done", { ...at, part: kind === "text" ? textPart(m.text) : refusalPart(m.refusal) });
    });
    // The parts as they began (a refusal may come before any text).
    const item = { ...messageItem(m.id, m.text, status), content: m.parts.map((k) => (k === "text" ? textPart(m.text) : refusalPart(m.refusal))) };
    this.#state.output[m.index] = item;
    this.#emit("response.output_item.done", { output_index: m.index, item });
  }

  #closeCalls(status: Status): void {
    for (const call of this.#calls.values()) {
      this.#emit("response.function_call_arguments.done", { item_id: call.id, output_index: call.index, name: call.name, arguments: call.args });
      const item = functionCallItem(call.id, call.callId, call.name, call.args, status);
      this.#state.output[call.index] = item;
      this.#emit("response.output_item.done", { output_index: call.index, item });
    }
    this.#calls.clear();
  }

  async #complete(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    this.#ended = true;
    const { status, incomplete } = ending(this.#finish);
    this.#closeMessage(itemStatus(status));
    this.#closeCalls(itemStatus(status));
    this.#state.status = status;
    this.#state.incomplete = incomplete;
    const response = responseObject(this.req, this.#state);
    await this.finish({ response });
    this.#emit(status === "completed" ? "response.completed" : "response.incomplete", { response });
    this.#flush(c);
    if (!this.#cancelled) c.close();
    void this.#reader.cancel().catch(() => undefined);
  }

  /** After the commit nothing can be retried: close what is open, say failed, and end with an error event. */
  async #fail(c: ReadableStreamDefaultController<Uint8Array>, code: string, message: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#closeMessage("incomplete");
    this.#closeCalls("incomplete");
    this.#state.status = "failed";
    this.#state.error = { code: "server_error", message };
    const response = responseObject(this.req, this.#state);
    await this.finish({ response });
    this.#emit("response.failed", { response });
    this.#emit("error", { code, message, param: null });
    this.#flush(c);
    if (!this.#cancelled) c.close();
    void this.#reader.cancel().catch(() => undefined);
  }
}
