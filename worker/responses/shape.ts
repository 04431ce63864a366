// The Response object and its output items, built the same way for JSON answers, streams and storage, so a
// streamed answer's final object equals the non-streamed one.

import { isObject, type Json, type JsonObject } from "../validate.ts";
import type { Item, ResponsesRequest } from "./validate.ts";

export type Status = "in_progress" | "completed" | "incomplete" | "failed";

export interface TokenUsage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

/** "resp_…", "msg_…", "fc_…": a prefix and 48 random hex digits, as OpenAI's ids look. */
export function newId(prefix: "resp" | "msg" | "fc"): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(24))) hex += b.toString(16).padStart(2, "0");
  return `${prefix}_${hex}`;
}

/** An assistant message: its text, and the model's refusal as a part of its own (not passed off as an answer). */
export function messageItem(id: string, text: string, status: Status, refusal = ""): JsonObject {
  const content = refusal !== "" && text === "" ? [refusalPart(refusal)] : refusal !== "" ? [textPart(text), refusalPart(refusal)] : [textPart(text)];
  return { id, type: "message", status, role: "assistant", content };
}

export function textPart(text: string): JsonObject {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

export function refusalPart(refusal: string): JsonObject {
  return { type: "refusal", refusal };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: Status): JsonObject {
  return { id, type: "function_call", status, arguments: args, call_id: callId, name };
}

export function usageOf(u: Json | undefined): TokenUsage | null {
  if (!isObject(u)) return null;
  const n = (v: Json | undefined): number => (typeof v === "number" ? v : 0);
  const pd = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cd = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  return { input: n(u.prompt_tokens), output: n(u.completion_tokens), cached: n(pd.cached_tokens), reasoning: n(cd.reasoning_tokens) };
}

function usageJson(u: TokenUsage): JsonObject {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

/** An output item's status when the response ends with `status`: only a completed response has completed items. */
export function itemStatus(status: Status): Status {
  return status === "completed" ? "completed" : "incomplete";
}

/** How a chat finish_reason ends a response: completed, or incomplete and why. */
export function ending(finish: string | null): { status: Status; incomplete: JsonObject | null } {
  if (finish === "length") return { status: "incomplete", incomplete: { reason: "max_output_tokens" } };
  if (finish === "content_filter") return { status: "incomplete", incomplete: { reason: "content_filter" } };
  return { status: "completed", incomplete: null };
}

export interface ResponseState {
  id: string;
  /** seconds since epoch */
  createdAt: number;
  model: string;
  status: Status;
  output: JsonObject[];
  usage: TokenUsage | null;
  error: JsonObject | null;
  incomplete: JsonObject | null;
}

/** The Response object (PROVIDERS.md §1.5): every required field, echoing what the caller asked for. */
export function responseObject(req: ResponsesRequest, s: ResponseState): JsonObject {
  return {
    id: s.id,
    object: "response",
    created_at: s.createdAt,
    status: s.status,
    background: false,
    error: s.error,
    incomplete_details: s.incomplete,
    instructions: req.instructions,
    max_output_tokens: req.max_output_tokens,
    model: s.model,
    output: s.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id,
    reasoning: { effort: null, summary: null },
    store: req.store,
    temperature: req.temperature,
    text: { format: req.format },
    tool_choice: req.tool_choice,
    tools: req.tools,
    top_p: req.top_p,
    truncation: "disabled",
    usage: s.usage ? usageJson(s.usage) : null,
    user: req.user,
    metadata: req.metadata,
  };
}

/** Output items of a non-streamed chat completion, plus how it finished and what it used. */
export function fromCompletion(body: JsonObject): { output: JsonObject[]; finish: string | null; usage: TokenUsage | null } {
  const choice = Array.isArray(body.choices) && isObject(body.choices[0]) ? body.choices[0] : {};
  const message = isObject(choice.message) ? choice.message : {};
  const finish = typeof choice.finish_reason === "string" ? choice.finish_reason : null;
  const status = itemStatus(ending(finish).status);
  const output: JsonObject[] = [];
  const text = typeof message.content === "string" ? message.content : "";
  const refusal = typeof message.refusal === "string" ? message.refusal : "";
  if (text !== "" || refusal !== "") output.push(messageItem(newId("msg"), text, status, refusal));
  for (const c of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
    if (!isObject(c) || !isObject(c.function)) continue;
    const fn = c.function;
    output.push(
      functionCallItem(newId("fc"), typeof c.id === "string" ? c.id : newId("fc"), String(fn.name ?? ""), typeof fn.arguments === "string" ? fn.arguments : "", status),
    );
  }
  return { output, finish, usage: usageOf(body.usage) };
}

/** Output items as conversation items (what a later `previous_response_id` request continues from). */
export function outputItems(output: readonly JsonObject[]): Item[] {
  const items: Item[] = [];
  for (const o of output) {
    if (o.type === "message") {
      const content = Array.isArray(o.content) ? o.content : [];
      const text = content.map((p) => (isObject(p) ? (typeof p.text === "string" ? p.text : typeof p.refusal === "string" ? p.refusal : "") : "")).join("");
      if (text !== "") items.push({ type: "message", role: "assistant", content: text });
    } else if (o.type === "function_call") {
      items.push({ type: "function_call", call_id: String(o.call_id), name: String(o.name), arguments: String(o.arguments) });
    }
  }
  return items;
}
