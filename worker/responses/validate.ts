// Validation of POST /v1/responses bodies: a 400 naming the field or the input item; the request normalised into
// the few shapes the translation to chat needs.

import { badRequest } from "../errors.ts";
import { badModelName, isObject, MAX_MESSAGES, MAX_MODELS_LIST, MAX_TOOLS, type Json, type JsonObject } from "../validate.ts";

/** Conversation items as freeway keeps them (stored for previous_response_id, translated to chat messages). */
export type Item =
  | { type: "message"; role: "user" | "assistant" | "system" | "developer"; content: string | JsonObject[] }
  | { type: "function_call"; call_id: string; name: string; arguments: string }
  | { type: "function_call_output"; call_id: string; output: string };

export interface ResponsesRequest {
  model: string;
  models?: string[];
  input: Item[];
  instructions: string | null;
  /** function tools in the Responses shape (echoed back in the response) */
  tools: JsonObject[];
  tool_choice: Json;
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  /** `text.format`: text, json_object or json_schema */
  format: JsonObject;
  metadata: JsonObject;
  parallel_tool_calls: boolean | null;
  store: boolean;
  stream: boolean;
  previous_response_id: string | null;
  user: string | null;
}

const TOOL_NAME = /^[a-zA-Z0-9_.:-]{1,64}$/;
const ROLES = new Set(["user", "assistant", "system", "developer"]);
/** Hosted tools and features freeway's chat providers cannot run. */
const UNSUPPORTED: Record<string, string> = {
  background: "background mode is not supported; send the request and wait, or stream it",
  conversation: "'conversation' objects are not supported; continue a conversation with 'previous_response_id'",
  prompt: "stored prompt templates are not supported; send 'instructions' and 'input'",
};
/** Chat-completions fields: a caller sending them here is on the wrong route, or missing the Responses name. */
const CHAT_FIELDS: Record<string, string> = {
  messages: "input",
  max_tokens: "max_output_tokens",
  max_completion_tokens: "max_output_tokens",
  response_format: "text.format",
  functions: "tools",
};
const METADATA_KEYS = 16;

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function fail(message: string, param: string, code = "invalid_value"): never {
  throw badRequest(message, param, code);
}

function need(cond: boolean, param: string, message: string, code = "invalid_type"): asserts cond {
  if (!cond) fail(message, param, code);
}

function str(v: Json | undefined, param: string): string {
  need(typeof v === "string", param, `'${param}' must be a string, got ${kind(v)}`, v === undefined ? "missing_required_parameter" : "invalid_type");
  return v;
}

function num(body: JsonObject, name: string, min: number, max: number, integer = false): number | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  need(typeof v === "number", name, `'${name}' must be a number, got ${kind(v)}`);
  need(Number.isFinite(v), name, `'${name}' must be a finite number`, "invalid_value");
  if (integer) need(Number.isInteger(v), name, `'${name}' must be an integer`, "invalid_value");
  need(v >= min && v <= max, name, `'${name}' must be between ${min} and ${max}, got ${v}`, "invalid_value");
  return v;
}

function bool(body: JsonObject, name: string): boolean | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  need(typeof v === "boolean", name, `'${name}' must be a boolean, got ${kind(v)}`);
  return v;
}

/** Content parts of a message: text and images in, text and refusals out. */
function parts(raw: Json[], role: string, param: string): JsonObject[] {
  need(raw.length > 0, param, `'${param}' must not be an empty list`, "invalid_value");
  const out: JsonObject[] = [];
  for (const [j, part] of raw.entries()) {
    const p = `${param}[${j}]`;
    need(isObject(part), p, `'${p}' must be an object, got ${kind(part)}`);
    const type = part.type;
    if (type === "input_text" || type === "output_text") {
      out.push({ type, text: str(part.text, `${p}.text`) });
    } else if (type === "refusal") {
      out.push({ type, refusal: str(part.refusal, `${p}.refusal`) });
    } else if (type === "input_image") {
      need(role === "user", `${p}.type`, `'${p}': only user messages can hold images`, "invalid_value");
      if (part.file_id !== undefined && part.file_id !== null) fail(`'${p}.file_id': uploaded files are not supported; send the image as 'image_url' (a URL or a data: URL)`, `${p}.file_id`, "unsupported_parameter");
      const url = str(part.image_url, `${p}.image_url`);
      const detail = part.detail;
      if (detail !== undefined && detail !== null) need(detail === "auto" || detail === "low" || detail === "high", `${p}.detail`, `'${p}.detail' must be 'auto', 'low' or 'high'`, "invalid_value");
      out.push({ type, image_url: url, ...(typeof detail === "string" ? { detail } : {}) });
    } else if (type === "input_file" || type === "input_audio") {
      fail(`'${p}.type' ${type} is not supported; send text ('input_text') or images ('input_image')`, `${p}.type`, "unsupported_parameter");
    } else {
      fail(`'${p}.type' must be one of input_text, input_image, output_text, refusal; got ${JSON.stringify(type ?? null).slice(0, 40)}`, `${p}.type`, "invalid_value");
    }
  }
  return out;
}

/** One input item, checked and reduced to the fields freeway keeps. Returns null for items that carry nothing to send (reasoning). */
function item(raw: Json, i: number): Item | null {
  const p = `input[${i}]`;
  need(isObject(raw), p, `'${p}' must be an object, got ${kind(raw)}`);
  const type = raw.type ?? (raw.role !== undefined ? "message" : undefined);
  switch (type) {
    case "message": {
      const role = raw.role;
      need(typeof role === "string" && ROLES.has(role), `${p}.role`, `'${p}.role' must be one of user, assistant, system, developer; got ${JSON.stringify(role ?? null).slice(0, 40)}`, role === undefined ? "missing_required_parameter" : "invalid_value");
      const content = raw.content;
      if (typeof content === "string") return { type, role: role as Extract<Item, { type: "message" }>["role"], content };
      need(Array.isArray(content), `${p}.content`, `'${p}.content' must be a string or a list of content parts, got ${kind(content)}`, content === undefined ? "missing_required_parameter" : "invalid_type");
      return { type, role: role as Extract<Item, { type: "message" }>["role"], content: parts(content, role, `${p}.content`) };
    }
    case "function_call": {
      const call_id = str(raw.call_id, `${p}.call_id`);
      need(call_id !== "", `${p}.call_id`, `'${p}.call_id' must not be empty`, "invalid_value");
      const name = str(raw.name, `${p}.name`);
      need(TOOL_NAME.test(name), `${p}.name`, `'${p}.name' must be 1-64 letters, digits, underscores or dashes`, "invalid_value");
      return { type, call_id, name, arguments: str(raw.arguments, `${p}.arguments`) };
    }
    case "function_call_output": {
      const call_id = str(raw.call_id, `${p}.call_id`);
      const output = raw.output;
      if (typeof output === "string") return { type, call_id, output };
      need(Array.isArray(output), `${p}.output`, `'${p}.output' must be a string or a list of input_text parts, got ${kind(output)}`, output === undefined ? "missing_required_parameter" : "invalid_type");
      const text = parts(output, "user", `${p}.output`).map((q) => {
        if (q.type !== "input_text") fail(`'${p}.output' may hold only input_text parts`, `${p}.output`, "unsupported_parameter");
        return q.text as string;
      });
      return { type, call_id, output: text.join("") };
    }
    case "reasoning":
      // Reasoning from an earlier answer: chat providers take no such input, and answers do not need it.
      return null;
    case "item_reference":
      return fail(`'${p}': item references are not supported; send the item itself or use 'previous_response_id'`, `${p}.type`, "unsupported_parameter");
    default:
      return fail(`'${p}.type' must be one of message, function_call, function_call_output; got ${JSON.stringify(type ?? null).slice(0, 40)}`, `${p}.type`, "invalid_value");
  }
}

function tools(body: JsonObject): JsonObject[] {
  const raw = body.tools;
  if (raw === undefined || raw === null) return [];
  need(Array.isArray(raw), "tools", `'tools' must be an array, got ${kind(raw)}`);
  need(raw.length <= MAX_TOOLS, "tools", `'tools' may hold at most ${MAX_TOOLS} tools, got ${raw.length}`, "invalid_value");
  return raw.map((t, i) => {
    const p = `tools[${i}]`;
    need(isObject(t), p, `'${p}' must be an object, got ${kind(t)}`);
    if (t.type !== "function") {
      fail(`'${p}.type' ${JSON.stringify(t.type ?? null).slice(0, 40)} is not supported: freeway runs function tools only (no hosted tools)`, `${p}.type`, "unsupported_parameter");
    }
    const name = str(t.name, `${p}.name`);
    need(TOOL_NAME.test(name), `${p}.name`, `'${p}.name' must be 1-64 letters, digits, underscores or dashes`, "invalid_value");
    const out: JsonObject = { type: "function", name, description: null, parameters: null, strict: null };
    if (t.description !== undefined && t.description !== null) out.description = str(t.description, `${p}.description`);
    if (t.parameters !== undefined && t.parameters !== null) {
      need(isObject(t.parameters), `${p}.parameters`, `'${p}.parameters' must be an object (a JSON schema)`);
      out.parameters = t.parameters;
    }
    if (t.strict !== undefined && t.strict !== null) {
      need(typeof t.strict === "boolean", `${p}.strict`, `'${p}.strict' must be a boolean`);
      out.strict = t.strict;
    }
    return out;
  });
}

function toolChoice(body: JsonObject, list: JsonObject[]): Json {
  const c = body.tool_choice;
  if (c === undefined || c === null) return "auto";
  if (typeof c === "string") {
    need(c === "none" || c === "auto" || c === "required", "tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or {type: 'function', name}", "invalid_value");
    if (c === "required") need(list.length > 0, "tool_choice", "'tool_choice' is 'required' but the request has no 'tools'", "invalid_value");
    return c;
  }
  need(isObject(c), "tool_choice", `'tool_choice' must be a string or an object, got ${kind(c)}`);
  if (c.type !== "function") fail(`'tool_choice.type' ${JSON.stringify(c.type ?? null).slice(0, 40)} is not supported: only function tools`, "tool_choice.type", "unsupported_parameter");
  const name = str(c.name, "tool_choice.name");
  need(list.some((t) => t.name === name), "tool_choice.name", `'tool_choice' names function '${name.slice(0, 64)}', which is not in 'tools'`, "invalid_value");
  return { type: "function", name };
}

function textFormat(body: JsonObject): JsonObject {
  const text = body.text;
  if (text === undefined || text === null) return { type: "text" };
  need(isObject(text), "text", `'text' must be an object, got ${kind(text)}`);
  const f = text.format;
  if (f === undefined || f === null) return { type: "text" };
  need(isObject(f), "text.format", `'text.format' must be an object, got ${kind(f)}`);
  if (f.type === "text" || f.type === "json_object") return { type: f.type };
  if (f.type !== "json_schema") fail("'text.format.type' must be 'text', 'json_object' or 'json_schema'", "text.format.type");
  const out: JsonObject = { type: "json_schema", name: str(f.name, "text.format.name") };
  need(isObject(f.schema), "text.format.schema", `'text.format.schema' must be an object (a JSON schema), got ${kind(f.schema)}`, f.schema === undefined ? "missing_required_parameter" : "invalid_type");
  out.schema = f.schema;
  if (f.description !== undefined && f.description !== null) out.description = str(f.description, "text.format.description");
  if (f.strict !== undefined && f.strict !== null) {
    need(typeof f.strict === "boolean", "text.format.strict", "'text.format.strict' must be a boolean");
    out.strict = f.strict;
  }
  return out;
}

function metadata(body: JsonObject): JsonObject {
  const m = body.metadata;
  if (m === undefined || m === null) return {};
  need(isObject(m), "metadata", `'metadata' must be an object of strings, got ${kind(m)}`);
  const keys = Object.keys(m);
  need(keys.length <= METADATA_KEYS, "metadata", `'metadata' may hold at most ${METADATA_KEYS} keys`, "invalid_value");
  for (const k of keys) {
    need(k.length <= 64, "metadata", "'metadata' keys may be at most 64 characters", "invalid_value");
    const v = m[k];
    need(typeof v === "string" && v.length <= 512, `metadata.${k}`, `'metadata.${k.slice(0, 64)}' must be a string of at most 512 characters`);
  }
  return m;
}

/** Check a parsed body; returns it normalised, or throws a 400 naming the first bad field or item. */
export function validateResponses(body: unknown): ResponsesRequest {
  need(isObject(body), "body", `The request body must be a JSON object, got ${kind(body)}`);
  for (const [f, why] of Object.entries(UNSUPPORTED)) {
    const v = body[f];
    if (v !== undefined && v !== null && v !== false) fail(`'${f}': ${why}`, f, "unsupported_parameter");
  }
  for (const [f, instead] of Object.entries(CHAT_FIELDS)) {
    if (body[f] !== undefined) fail(`'${f}' is a chat-completions field; the Responses API calls it '${instead}'`, f, "unsupported_parameter");
  }
  let models: string[] | undefined;
  if (body.models !== undefined && body.models !== null) {
    need(Array.isArray(body.models), "models", `'models' must be an array, got ${kind(body.models)}`);
    need(body.models.length > 0 && body.models.length <= MAX_MODELS_LIST, "models", `'models' must list 1 to ${MAX_MODELS_LIST} model ids`, "invalid_value");
    models = body.models.map((m, i) => {
      need(typeof m === "string" && m !== "", `models[${i}]`, `'models[${i}]' must be a non-empty string`);
      const bad = badModelName(m);
      need(bad === null, `models[${i}]`, `'models[${i}]' ${bad}`, "invalid_value");
      return m;
    });
  }
  const model = body.model ?? models?.[0];
  need(model !== undefined && model !== null, "model", "'model' is required (use \"auto\" to let freeway choose)", "missing_required_parameter");
  need(typeof model === "string", "model", `'model' must be a string, got ${kind(model)}`);
  need(model.trim() !== "", "model", "'model' must not be empty (use \"auto\" to let freeway choose)", "invalid_value");
  const badName = badModelName(model);
  need(badName === null, "model", `'model' ${badName}`, "invalid_value");
  const raw = body.input;
  const previous = body.previous_response_id;
  if (previous !== undefined && previous !== null) need(typeof previous === "string" && previous !== "", "previous_response_id", "'previous_response_id' must be a response id (resp_…)");
  let input: Item[];
  if (typeof raw === "string") {
    need(raw !== "", "input", "'input' must not be an empty string", "invalid_value");
    input = [{ type: "message", role: "user", content: raw }];
  } else if (raw === undefined || raw === null) {
    fail("'input' is required: a string or a list of input items", "input", "missing_required_parameter");
  } else {
    need(Array.isArray(raw), "input", `'input' must be a string or a list of items, got ${kind(raw)}`);
    need(raw.length > 0, "input", "'input' must not be an empty list", "invalid_value");
    need(raw.length <= MAX_MESSAGES, "input", `'input' may hold at most ${MAX_MESSAGES} items, got ${raw.length}`, "invalid_value");
    input = raw.map(item).filter((x): x is Item => x !== null);
    need(input.length > 0, "input", "'input' holds only reasoning items; add a message", "invalid_value");
  }
  const instructions = body.instructions;
  if (instructions !== undefined && instructions !== null) str(instructions, "instructions");
  const list = tools(body);
  const user = body.user;
  if (user !== undefined && user !== null) str(user, "user");
  const store = bool(body, "store");
  const stream = bool(body, "stream");
  return {
    model,
    ...(models ? { models } : {}),
    input,
    instructions: typeof instructions === "string" ? instructions : null,
    tools: list,
    tool_choice: toolChoice(body, list),
    max_output_tokens: num(body, "max_output_tokens", 1, 10_000_000, true),
    temperature: num(body, "temperature", 0, 2),
    top_p: num(body, "top_p", 0, 1),
    format: textFormat(body),
    metadata: metadata(body),
    parallel_tool_calls: bool(body, "parallel_tool_calls"),
    store: store ?? true,
    stream: stream ?? false,
    previous_response_id: typeof previous === "string" ? previous : null,
    user: typeof user === "string" ? user : null,
  };
}
