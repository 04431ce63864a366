// Response bodies and SSE frames per dialect: ids, usage, Groq's x_groq, OpenRouter comments, Cerebras time_info.

import type { Dialect } from "../../shared/catalog/types.ts";
import { argumentFragments } from "./answer.ts";
import type { ChatPlan } from "./chat.ts";
import { hexId } from "./hash.ts";
import type { JsonObject } from "./util.ts";

export interface ReplyMeta {
  dialect: Dialect;
  /** upstream model name, echoed back */
  model: string;
  id: string;
  /** Groq's x_groq.id */
  requestId: string;
  created: number;
}

export function replyMeta(dialect: Dialect, model: string, seq: number, now: number): ReplyMeta {
  const hex = hexId(`${seq}\u0000${now}\u0000${model}`, 24);
  const id = dialect === "openrouter" ? `gen-${Math.floor(now / 1000)}-${hex.slice(0, 20)}` : `chatcmpl-${hex}`;
  return { dialect, model, id, requestId: `req_${hex.slice(0, 20)}`, created: Math.floor(now / 1000) };
}

/** A frame of the SSE body; `token` frames are the ones faults count. */
export interface Frame {
  text: string;
  token: boolean;
}

function usage(meta: ReplyMeta, plan: ChatPlan): JsonObject {
  const u: JsonObject = {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
  };
  if (meta.dialect === "groq") {
    Object.assign(u, { queue_time: 0.01, prompt_time: 0.002, completion_time: plan.completionTokens / 1000, total_time: 0.012 + plan.completionTokens / 1000 });
  }
  if (meta.dialect === "openrouter") {
    Object.assign(u, { prompt_tokens_details: { cached_tokens: plan.cachedTokens }, completion_tokens_details: { reasoning_tokens: 0 }, cost: 0 });
  } else if (plan.cachedTokens > 0 && (meta.dialect === "groq" || meta.dialect === "openai")) {
    u.prompt_tokens_details = { cached_tokens: plan.cachedTokens };
  }
  return u;
}

function timeInfo(plan: ChatPlan): JsonObject {
  const completion = plan.completionTokens / 2000;
  return { queue_time: 0.0001, prompt_time: 0.001, completion_time: completion, total_time: 0.0011 + completion, created: 0 };
}

function toolCallsOf(plan: ChatPlan): JsonObject[] | undefined {
  const c = plan.toolCall;
  return c ? [{ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }] : undefined;
}

/** The non-streamed chat.completion. */
export function completionBody(meta: ReplyMeta, plan: ChatPlan): JsonObject {
  const message: JsonObject = { role: "assistant", content: plan.toolCall ? null : plan.pieces.join("") };
  const calls = toolCallsOf(plan);
  if (calls) message["tool_calls"] = calls;
  if (meta.dialect === "openai") message["refusal"] = null;
  const choice: JsonObject = { index: 0, message, logprobs: null, finish_reason: plan.finishReason };
  if (meta.dialect === "openrouter") choice["native_finish_reason"] = plan.finishReason;
  const body: JsonObject = {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [choice],
    usage: usage(meta, plan),
  };
  if (meta.dialect === "groq") {
    body["system_fingerprint"] = "fp_sim";
    body["x_groq"] = { id: meta.requestId };
  }
  if (meta.dialect === "openai") body["system_fingerprint"] = "fp_sim";
  if (meta.dialect === "cerebras") body["time_info"] = timeInfo(plan);
  if (meta.dialect === "openrouter") body["provider"] = "Sim";
  return body;
}

function data(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

function chunk(meta: ReplyMeta, delta: JsonObject, finish: string | null, extra: JsonObject = {}): JsonObject {
  const c: JsonObject = {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  if (meta.dialect === "groq" || meta.dialect === "openai") c["system_fingerprint"] = "fp_sim";
  if (meta.dialect === "openrouter") c["provider"] = "Sim";
  return Object.assign(c, extra);
}

/** The SSE body without the closing `data: [DONE]` (the caller adds it unless a fault drops it). */
export function completionFrames(meta: ReplyMeta, plan: ChatPlan): Frame[] {
  const frames: Frame[] = [];
  const d = meta.dialect;
  const nullUsage: JsonObject = d === "openai" && plan.includeUsage ? { usage: null } : {};
  if (d === "openrouter") {
    // Keep-alive comments while the upstream warms up (PROVIDERS.md §7).
    frames.push({ text: ": OPENROUTER PROCESSING\n\n", token: false }, { text: ": OPENROUTER PROCESSING\n\n", token: false });
  }
  const firstExtra: JsonObject = d === "groq" ? { x_groq: { id: meta.requestId } } : {};
  frames.push({ text: data(chunk(meta, { role: "assistant", content: "" }, null, { ...firstExtra, ...nullUsage })), token: false });

  if (plan.toolCall) {
    const c = plan.toolCall;
    frames.push({
      text: data(chunk(meta, { tool_calls: [{ index: 0, id: c.id, type: "function", function: { name: c.name, arguments: "" } }] }, null, nullUsage)),
      token: true,
    });
    for (const part of argumentFragments(c.arguments)) {
      frames.push({ text: data(chunk(meta, { tool_calls: [{ index: 0, function: { arguments: part } }] }, null, nullUsage)), token: true });
    }
  } else {
    for (const piece of plan.pieces) frames.push({ text: data(chunk(meta, { content: piece }, null, nullUsage)), token: true });
  }

  const u = usage(meta, plan);
  const finalExtra: JsonObject = d === "groq" ? { x_groq: { id: meta.requestId, usage: u } } : nullUsage;
  frames.push({ text: data(chunk(meta, {}, plan.finishReason, finalExtra)), token: false });

  // OpenRouter always ends with usage; the others only when stream_options.include_usage is set.
  if (d === "openrouter" || plan.includeUsage) {
    const last = chunk(meta, {}, null, { usage: u });
    last["choices"] = [];
    if (d === "cerebras") last["time_info"] = timeInfo(plan);
    frames.push({ text: data(last), token: false });
  }
  return frames;
}

export const DONE_FRAME = "data: [DONE]\n\n";

/** A mid-stream failure in the dialect's form (PROVIDERS.md §12.3). */
export function errorFrame(meta: ReplyMeta): string {
  switch (meta.dialect) {
    case "openrouter":
      return data({
        id: meta.id,
        object: "chat.completion.chunk",
        created: meta.created,
        model: meta.model,
        provider: "Sim",
        error: { code: 502, message: "Provider returned error: upstream stopped mid-stream", metadata: { error_type: "provider_unavailable" } },
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      });
    case "cerebras":
      return data({
        error: { id: meta.id, code: "internal_server_error", message: "Internal server error while generating.", param: null, type: "server_error" },
        status_code: 500,
      });
    case "groq":
      return data({
        id: meta.id,
        object: "chat.completion.chunk",
        created: meta.created,
        model: meta.model,
        choices: [],
        x_groq: { id: meta.requestId, error: "Internal server error: generation stopped early" },
      });
    default:
      return data({ error: { message: "Internal server error while streaming.", type: "server_error", param: null, code: "internal_error" } });
  }
}

/** A frame whose data is not JSON (a proxy splicing in garbage, or a torn write). */
export function malformedFrame(meta: ReplyMeta): string {
  return `data: {"id":"${meta.id}","object":"chat.completion.chunk","choices":[{"delta":{"content": <<garbled>>\n\n`;
}
