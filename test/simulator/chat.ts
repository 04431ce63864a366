// Chat requests: validation and parameter hygiene as the real APIs do it, then what the fake model answers.

import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import type { ToolCall } from "./answer.ts";
import {
  answerLength,
  cachedLength,
  canonicalPieces,
  contentText,
  continuationPieces,
  estimatePromptTokens,
  estimateTokens,
  lastUserText,
  makeToolCall,
  sampleFromSchema,
  textPieces,
  trailingPrefill,
} from "./answer.ts";
import { acceptsPrefill } from "./catalog.ts";
import type { SimError } from "./dialects.ts";
import { contextLengthError, dialectError, invalidRequest } from "./dialects.ts";
import { isRecord } from "./util.ts";
import type { JsonObject } from "./util.ts";

/** What the fake model will send. */
export interface ChatPlan {
  /** content pieces, one token each (empty for a tool call) */
  pieces: string[];
  toolCall?: ToolCall;
  finishReason: "stop" | "length" | "tool_calls";
  promptTokens: number;
  /** of the prompt, tokens reported as served from the provider's cache (`[[cached=N]]`) */
  cachedTokens: number;
  completionTokens: number;
  stream: boolean;
  includeUsage: boolean;
}

/** Workers AI stops at 256 tokens when the request sets no max_tokens, the one length field it reads (PROVIDERS.md §9a). */
const WORKERS_AI_DEFAULT_MAX = 256;

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

// Rejected with 400 "if they are supplied" (Groq: console.groq.com/docs/openai; Cerebras: old compat page, §4).
const GROQ_UNSUPPORTED = ["logprobs", "logit_bias", "top_logprobs"] as const;
const CEREBRAS_UNSUPPORTED = ["frequency_penalty", "presence_penalty", "logit_bias", "parallel_tool_calls", "service_tier"] as const;

/** Checks that need no catalog: required fields, message shapes, the tool-call chain. */
export function validateChat(dialect: Dialect, body: JsonObject): SimError | undefined {
  const model = body["model"];
  if (typeof model !== "string" || model === "") return invalidRequest(dialect, "you must provide a model parameter", "model");
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) {
    return invalidRequest(dialect, "'messages' must be a non-empty array", "messages");
  }
  const callIds = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (!isRecord(m) || typeof m["role"] !== "string" || !ROLES.has(m["role"])) {
      return invalidRequest(dialect, `'messages.${i}.role' must be one of system, developer, user, assistant, tool`, `messages.${i}.role`);
    }
    if (m["role"] === "assistant" && Array.isArray(m["tool_calls"])) {
      for (const c of m["tool_calls"]) if (isRecord(c) && typeof c["id"] === "string") callIds.add(c["id"]);
    }
    if (m["role"] === "tool") {
      const id = m["tool_call_id"];
      if (typeof id !== "string" || !callIds.has(id)) {
        // OpenAI's wording, typo included.
        return invalidRequest(dialect, "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
      }
    }
  }
  for (const key of ["max_tokens", "max_completion_tokens"]) {
    const v = body[key];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v) || v < 1)) {
      return invalidRequest(dialect, `'${key}' must be a positive integer`, key);
    }
  }
  return hygiene(dialect, body, messages);
}

/** Parameters a provider refuses, so gateway tests catch an adapter that forgets to drop them. */
function hygiene(dialect: Dialect, body: JsonObject, messages: readonly unknown[]): SimError | undefined {
  if (dialect === "groq") {
    for (const key of GROQ_UNSUPPORTED) {
      if (key in body) return invalidRequest(dialect, `'${key}' : property '${key}' is unsupported`, key);
    }
    const n = body["n"];
    if (n !== undefined && n !== 1) return invalidRequest(dialect, "'n' : number must be at most 1", "n");
    for (const [i, m] of messages.entries()) {
      if (isRecord(m) && "name" in m) {
        return invalidRequest(dialect, `'messages.${i}' : for 'role:${String(m["role"])}' the following must be satisfied[('messages.${i}.name' : property 'name' is unsupported)]`, `messages.${i}.name`);
      }
    }
  }
  if (dialect === "cerebras") {
    for (const key of CEREBRAS_UNSUPPORTED) {
      if (key in body) return invalidRequest(dialect, `Unsupported parameter: '${key}' is not supported with this model.`, key);
    }
    // "There is no developer role" (PROVIDERS.md §4).
    const i = messages.findIndex((m) => isRecord(m) && m["role"] === "developer");
    if (i >= 0) return invalidRequest(dialect, `'messages.${i}.role' must be one of system, user, assistant, tool`, `messages.${i}.role`);
  }
  return undefined;
}

/** Checks against the served model: system role, assistant prefill, context window, tool choice. */
export function checkAgainstModel(dialect: Dialect, body: JsonObject, model: ModelSpec): SimError | undefined {
  const messages = Array.isArray(body["messages"]) ? body["messages"] : [];
  if (trailingPrefill(messages) !== undefined && !acceptsPrefill(model.provider)) {
    return invalidRequest(dialect, "assistant prefill is not supported: the last message must be from the user or a tool", "messages");
  }
  if (model.noSystemRole && messages.some((m) => isRecord(m) && (m["role"] === "system" || m["role"] === "developer"))) {
    // Gemma on the Gemini API (PROVIDERS.md §3b).
    return dialectError(dialect, 400, `Developer instruction is not enabled for models/${model.upstream}`);
  }
  const prompt = estimatePromptTokens(messages);
  if (prompt > model.context) return contextLengthError(dialect, model.upstream, prompt, model.context);
  const choice = body["tool_choice"];
  if (isRecord(choice)) {
    const name = isRecord(choice["function"]) ? choice["function"]["name"] : undefined;
    if (typeof name !== "string" || !findTool(body, name)) {
      return invalidRequest(dialect, `Invalid 'tool_choice': no function named '${String(name)}' in 'tools'.`, "tool_choice");
    }
  }
  return undefined;
}

function tools(body: JsonObject): JsonObject[] {
  const list = body["tools"];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

function toolName(tool: JsonObject): string | undefined {
  const fn = isRecord(tool["function"]) ? tool["function"] : tool;
  return typeof fn["name"] === "string" ? fn["name"] : undefined;
}

function findTool(body: JsonObject, name: string): JsonObject | undefined {
  return tools(body).find((t) => toolName(t) === name);
}

/** The answer: a tool call, the echo of a tool result, JSON, or canonical words; then max_tokens. */
export function planChat(dialect: Dialect, body: JsonObject): ChatPlan {
  const messages = Array.isArray(body["messages"]) ? body["messages"] : [];
  const promptTokens = estimatePromptTokens(messages);
  const prompt = lastUserText(messages);
  const tokens = answerLength(prompt);
  const last = messages[messages.length - 1];
  const lastRole = isRecord(last) ? last["role"] : undefined;
  const streamOptions = body["stream_options"];
  const base = {
    promptTokens,
    cachedTokens: cachedLength(prompt, promptTokens),
    stream: body["stream"] === true,
    includeUsage: isRecord(streamOptions) && streamOptions["include_usage"] === true,
  };

  const choice = body["tool_choice"];
  const available = tools(body);
  if (available.length > 0 && choice !== "none" && lastRole === "user") {
    const named = isRecord(choice) && isRecord(choice["function"]) ? choice["function"]["name"] : undefined;
    const tool = (typeof named === "string" ? findTool(body, named) : undefined) ?? available[0] ?? {};
    const toolCall = makeToolCall(tool, `${prompt}\u0000${messages.length}`);
    return {
      ...base,
      pieces: [],
      toolCall,
      finishReason: "tool_calls",
      completionTokens: estimateTokens(toolCall.name + toolCall.arguments),
    };
  }

  let pieces: string[];
  const prefill = trailingPrefill(messages);
  if (lastRole === "tool" && isRecord(last)) {
    const words = canonicalPieces(prompt, tokens);
    pieces = [`Tool result: ${contentText(last["content"])}.`, ...words.map((w, i) => (i === 0 ? ` ${w}` : w))];
  } else if (prefill !== undefined) {
    // Prefill: the model goes on from the assistant's partial text; max_tokens below bounds only what it adds.
    pieces = continuationPieces(formatted(body, canonicalPieces(prompt, tokens)), prefill);
  } else {
    pieces = formatted(body, canonicalPieces(prompt, tokens));
  }

  const maxRaw = dialect === "workers-ai" ? body["max_tokens"] : body["max_completion_tokens"] ?? body["max_tokens"];
  const max = typeof maxRaw === "number" ? maxRaw : dialect === "workers-ai" ? WORKERS_AI_DEFAULT_MAX : undefined;
  let finishReason: ChatPlan["finishReason"] = "stop";
  if (max !== undefined && pieces.length > max) {
    pieces = pieces.slice(0, max);
    finishReason = "length";
  }
  return { ...base, pieces, finishReason, completionTokens: pieces.length };
}

/** response_format: json_object wraps the words in {"answer": …}; json_schema samples the schema. */
function formatted(body: JsonObject, words: string[]): string[] {
  const format = body["response_format"];
  if (!isRecord(format)) return words;
  if (format["type"] === "json_object") {
    const out = [...words];
    out[0] = `{"answer":"${out[0] ?? ""}`;
    out[out.length - 1] = `${out[out.length - 1] ?? ""}"}`;
    return out;
  }
  if (format["type"] === "json_schema") {
    const spec = isRecord(format["json_schema"]) ? format["json_schema"] : {};
    return textPieces(JSON.stringify(sampleFromSchema(spec["schema"] ?? { type: "object" })));
  }
  return words;
}
