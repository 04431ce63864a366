// Validation of POST /v1/chat/completions bodies: a clear 400 naming the field, unknown fields passed through.

import { badRequest } from "./errors.ts";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool" | "function";
  content: string | JsonObject[] | null;
  [key: string]: Json | undefined;
}

/** A validated chat request: the caller's object, typed where we read it, everything else untouched. */
export interface ChatRequest extends JsonObject {
  model: string;
  messages: ChatMessage[] & Json[];
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
const PART_TYPES = new Set(["text", "image_url", "input_audio", "file", "refusal"]);
/** Parts no catalog model is marked as taking: they would reach models that cannot read them, uncounted. */
const UNROUTABLE_PARTS = new Set(["input_audio", "file"]);
const TOOL_NAME = /^[a-zA-Z0-9_.:-]{1,64}$/;
export const MAX_MESSAGES = 2048;
export const MAX_TOOLS = 128;
/** An OpenRouter-style fallback list longer than this is a mistake, not a preference. */
export const MAX_MODELS_LIST = 16;
/** Far longer than any model id (the catalog's longest is under 80 characters). */
export const MAX_MODEL_NAME = 256;

/**
 * Why a name cannot be a model's, or null: too long (names are cached per isolate, and one from a 4 MB body
 * would stay there), or holding control characters, which no id has and no response header may carry.
 */
export function badModelName(name: string): string | null {
  if (name.length > MAX_MODEL_NAME) return `is ${name.length} characters long; model ids have at most ${MAX_MODEL_NAME}`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains control characters";
  return null;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function expect(cond: boolean, param: string, message: string, code = "invalid_type"): asserts cond {
  if (!cond) throw badRequest(message, param, code);
}

function typed(v: unknown, want: "string" | "boolean" | "number" | "object" | "array", param: string): void {
  const got = kind(v);
  expect(got === want, param, `'${param}' must be ${want === "array" || want === "object" ? "an" : "a"} ${want}, got ${got}`);
}

function optionalNumber(body: JsonObject, name: string, min: number, max: number, integer = false): void {
  const v = body[name];
  if (v === undefined || v === null) return;
  typed(v, "number", name);
  const n = v as number;
  expect(Number.isFinite(n), name, `'${name}' must be a finite number`, "invalid_value");
  if (integer) expect(Number.isInteger(n), name, `'${name}' must be an integer`, "invalid_value");
  expect(n >= min && n <= max, name, `'${name}' must be between ${min} and ${max}, got ${n}`, "invalid_value");
}

function optionalBoolean(body: JsonObject, name: string): void {
  const v = body[name];
  if (v !== undefined && v !== null) typed(v, "boolean", name);
}

function validateParts(parts: Json[], param: string): void {
  expect(parts.length > 0, param, `'${param}' must not be an empty array`, "invalid_value");
  for (const [j, part] of parts.entries()) {
    const p = `${param}[${j}]`;
    typed(part, "object", p);
    const o = part as JsonObject;
    typed(o.type, "string", `${p}.type`);
    expect(PART_TYPES.has(o.type as string), `${p}.type`, `'${p}.type' must be one of text, image_url, input_audio, file, refusal`, "invalid_value");
    expect(
      !UNROUTABLE_PARTS.has(o.type as string),
      `${p}.type`,
      `'${p}.type' ${String(o.type)} is not supported here: freeway routes text and image_url parts only`,
      "unsupported_value",
    );
    if (o.type === "text") typed(o.text, "string", `${p}.text`);
    if (o.type === "image_url") {
      typed(o.image_url, "object", `${p}.image_url`);
      typed((o.image_url as JsonObject).url, "string", `${p}.image_url.url`);
    }
  }
}

function validateMessage(m: Json, i: number): void {
  const p = `messages[${i}]`;
  typed(m, "object", p);
  const msg = m as JsonObject;
  expect(typeof msg.role === "string", `${p}.role`, `'${p}.role' is required and must be a string`, msg.role === undefined ? "missing_required_parameter" : "invalid_type");
  expect(ROLES.has(msg.role as string), `${p}.role`, `'${p}.role' must be one of system, developer, user, assistant, tool, got '${String(msg.role).slice(0, 40)}'`, "invalid_value");
  const hasToolCalls = Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0;
  const content = msg.content;
  if (content === null || content === undefined) {
    // An assistant turn that only calls tools carries content: null (OpenAI allows it).
    expect(
      msg.role === "assistant" && (hasToolCalls || msg.function_call !== undefined),
      `${p}.content`,
      `'${p}.content' is required for a ${msg.role} message`,
      "missing_required_parameter",
    );
  } else if (Array.isArray(content)) {
    validateParts(content, `${p}.content`);
  } else {
    typed(content, "string", `${p}.content`);
  }
  if (msg.tool_calls !== undefined && msg.tool_calls !== null) {
    expect(msg.role === "assistant", `${p}.tool_calls`, `'${p}.tool_calls' is only allowed on assistant messages`, "invalid_value");
    typed(msg.tool_calls, "array", `${p}.tool_calls`);
    for (const [j, c] of (msg.tool_calls as Json[]).entries()) {
      const q = `${p}.tool_calls[${j}]`;
      typed(c, "object", q);
      const call = c as JsonObject;
      typed(call.id, "string", `${q}.id`);
      typed(call.function, "object", `${q}.function`);
      typed((call.function as JsonObject).name, "string", `${q}.function.name`);
      typed((call.function as JsonObject).arguments, "string", `${q}.function.arguments`);
    }
  }
  if (msg.role === "tool") {
    expect(typeof msg.tool_call_id === "string" && msg.tool_call_id !== "", `${p}.tool_call_id`, `'${p}.tool_call_id' is required for tool messages`, "missing_required_parameter");
  }
  if (msg.name !== undefined) typed(msg.name, "string", `${p}.name`);
}

function validateTools(body: JsonObject): void {
  const tools = body.tools;
  if (tools === undefined || tools === null) {
    const choice = body.tool_choice;
    expect(
      choice === undefined || choice === null || choice === "none" || choice === "auto",
      "tool_choice",
      "'tool_choice' names or requires a tool, but the request has no 'tools'",
      "invalid_value",
    );
    return;
  }
  typed(tools, "array", "tools");
  const list = tools as Json[];
  expect(list.length <= MAX_TOOLS, "tools", `'tools' may hold at most ${MAX_TOOLS} tools, got ${list.length}`, "invalid_value");
  for (const [i, t] of list.entries()) {
    const p = `tools[${i}]`;
    typed(t, "object", p);
    const tool = t as JsonObject;
    expect(tool.type === "function", `${p}.type`, `'${p}.type' must be 'function'`, "invalid_value");
    typed(tool.function, "object", `${p}.function`);
    const fn = tool.function as JsonObject;
    typed(fn.name, "string", `${p}.function.name`);
    expect(TOOL_NAME.test(fn.name as string), `${p}.function.name`, `'${p}.function.name' must be 1-64 letters, digits, underscores or dashes`, "invalid_value");
    if (fn.parameters !== undefined) typed(fn.parameters, "object", `${p}.function.parameters`);
    if (fn.description !== undefined) typed(fn.description, "string", `${p}.function.description`);
  }
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return;
  if (typeof choice === "string") {
    expect(["none", "auto", "required"].includes(choice), "tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a function choice", "invalid_value");
    expect(choice !== "required" || list.length > 0, "tool_choice", "'tool_choice' is 'required', but 'tools' is empty", "invalid_value");
    return;
  }
  typed(choice, "object", "tool_choice");
  const fn = (choice as JsonObject).function;
  typed(fn, "object", "tool_choice.function");
  const name = (fn as JsonObject).name;
  typed(name, "string", "tool_choice.function.name");
  expect(
    list.some((t) => ((t as JsonObject).function as JsonObject).name === name),
    "tool_choice.function.name",
    `'tool_choice' names function '${String(name).slice(0, 64)}', which is not in 'tools'`,
    "invalid_value",
  );
}

function validateResponseFormat(body: JsonObject): void {
  const rf = body.response_format;
  if (rf === undefined || rf === null) return;
  typed(rf, "object", "response_format");
  const t = (rf as JsonObject).type;
  expect(t === "text" || t === "json_object" || t === "json_schema", "response_format.type", "'response_format.type' must be 'text', 'json_object' or 'json_schema'", "invalid_value");
  if (t === "json_schema") {
    const js = (rf as JsonObject).json_schema;
    typed(js, "object", "response_format.json_schema");
    typed((js as JsonObject).name, "string", "response_format.json_schema.name");
    if ((js as JsonObject).schema !== undefined) typed((js as JsonObject).schema, "object", "response_format.json_schema.schema");
  }
}

/** Check a parsed body; returns it typed, or throws a 400 naming the first bad field. */
export function validateChat(body: unknown): ChatRequest {
  expect(isObject(body), "body", `The request body must be a JSON object, got ${kind(body)}`);
  const models = body.models;
  if (models !== undefined && models !== null) {
    typed(models, "array", "models");
    const list = models as Json[];
    expect(list.length > 0 && list.length <= MAX_MODELS_LIST, "models", `'models' must list 1 to ${MAX_MODELS_LIST} model ids`, "invalid_value");
    list.forEach((m, i) => {
      expect(typeof m === "string" && m !== "", `models[${i}]`, `'models[${i}]' must be a non-empty string`);
      const bad = badModelName(m as string);
      expect(bad === null, `models[${i}]`, `'models[${i}]' ${bad}`, "invalid_value");
    });
  }
  if (body.model === undefined && Array.isArray(models)) body.model = models[0] as string;
  expect(body.model !== undefined, "model", "'model' is required (use \"auto\" to let freeway choose)", "missing_required_parameter");
  typed(body.model, "string", "model");
  expect((body.model as string).trim() !== "", "model", "'model' must not be empty (use \"auto\" to let freeway choose)", "invalid_value");
  const badName = badModelName(body.model as string);
  expect(badName === null, "model", `'model' ${badName}`, "invalid_value");
  expect(body.messages !== undefined, "messages", "'messages' is required", "missing_required_parameter");
  typed(body.messages, "array", "messages");
  const messages = body.messages as Json[];
  expect(messages.length > 0, "messages", "'messages' must contain at least one message", "invalid_value");
  expect(messages.length <= MAX_MESSAGES, "messages", `'messages' may hold at most ${MAX_MESSAGES} messages, got ${messages.length}`, "invalid_value");
  messages.forEach(validateMessage);
  // The deprecated function-calling fields: several providers drop them unread, and the caller would get plain
  // text where it asked for a call. Their replacements route to models with tools.
  expect(body.functions === undefined || body.functions === null, "functions", "'functions' is the deprecated form of function calling; send tools: [{ type: \"function\", function: … }] instead", "unsupported_parameter");
  expect(body.function_call === undefined || body.function_call === null, "function_call", "'function_call' is the deprecated form of function calling; send tool_choice instead", "unsupported_parameter");
  optionalBoolean(body, "stream");
  if (body.stream_options !== undefined && body.stream_options !== null) {
    typed(body.stream_options, "object", "stream_options");
    const inc = (body.stream_options as JsonObject).include_usage;
    if (inc !== undefined) typed(inc, "boolean", "stream_options.include_usage");
  }
  optionalNumber(body, "temperature", 0, 2);
  optionalNumber(body, "top_p", 0, 1);
  optionalNumber(body, "max_tokens", 1, 10_000_000, true);
  optionalNumber(body, "max_completion_tokens", 1, 10_000_000, true);
  optionalNumber(body, "n", 1, 128, true);
  optionalNumber(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true);
  optionalNumber(body, "presence_penalty", -2, 2);
  optionalNumber(body, "frequency_penalty", -2, 2);
  optionalNumber(body, "top_logprobs", 0, 20, true);
  optionalBoolean(body, "logprobs");
  optionalBoolean(body, "parallel_tool_calls");
  if (body.user !== undefined && body.user !== null) typed(body.user, "string", "user");
  const stop = body.stop;
  if (stop !== undefined && stop !== null) {
    if (Array.isArray(stop)) {
      expect(stop.length <= 4, "stop", "'stop' may hold at most 4 sequences", "invalid_value");
      stop.forEach((s, i) => typed(s, "string", `stop[${i}]`));
    } else typed(stop, "string", "stop");
  }
  if (body.logit_bias !== undefined && body.logit_bias !== null) typed(body.logit_bias, "object", "logit_bias");
  validateTools(body);
  validateResponseFormat(body);
  const own = body.freeway;
  if (own !== undefined && own !== null) {
    typed(own, "object", "freeway");
    const trace = (own as JsonObject).trace;
    if (trace !== undefined) typed(trace, "boolean", "freeway.trace");
  }
  return body as ChatRequest;
}
