// Validation of POST /v1/embeddings bodies: a 400 naming the field; unknown fields pass through, chat fields do not.

import { badRequest } from "../errors.ts";
import { badModelName, isObject, type Json, type JsonObject } from "../validate.ts";

/** OpenAI's limits (PROVIDERS.md §1.4): inputs per request and tokens summed over them. */
export const MAX_INPUTS = 2048;
export const MAX_TOTAL_TOKENS = 300_000;

export interface EmbeddingsRequest {
  model: string;
  /** the texts, in the caller's order (a single string becomes a list of one) */
  input: string[];
  encodingFormat: "float" | "base64";
  /** the caller named encoding_format (plain OpenAI-compatible upstreams get it as asked) */
  encodingAsked: boolean;
  dimensions?: number;
  user?: string;
  inputType?: "query" | "document";
  /** every other field, for plain OpenAI-compatible upstreams */
  extra: JsonObject;
}

const OWN = new Set(["model", "input", "encoding_format", "dimensions", "user", "input_type"]);

/**
 * Fields of chat completions and the Responses API: on /v1/embeddings they mean the caller is on the wrong
 * route, and passing them on would fail upstream in a less clear way. `models` is here too: a fallback list
 * could change the vector space, which embeddings never do.
 */
const NOT_FOR_EMBEDDINGS = [
  "messages", "prompt", "instructions", "stream", "stream_options", "temperature", "top_p", "top_k", "max_tokens",
  "max_completion_tokens", "max_output_tokens", "tools", "tool_choice", "functions", "function_call", "response_format",
  "text", "n", "stop", "logprobs", "top_logprobs", "logit_bias", "presence_penalty", "frequency_penalty", "seed",
  "parallel_tool_calls", "reasoning_effort", "reasoning", "previous_response_id", "store", "models",
];

const INPUT_TYPES: Record<string, "query" | "document"> = { query: "query", document: "document", passage: "document" };

function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function fail(message: string, param: string, code = "invalid_value"): never {
  throw badRequest(message, param, code);
}

/** Rough tokens of a text (~4 characters each), as everywhere in freeway; real usage comes back from providers. */
export function textTokens(s: string): number {
  return Math.ceil(s.length / 4);
}

function inputs(raw: Json | undefined): string[] {
  if (raw === undefined || raw === null) fail("'input' is required: a string or a list of strings", "input", "missing_required_parameter");
  if (typeof raw === "string") {
    if (raw === "") fail("'input' must not be an empty string", "input");
    return [raw];
  }
  if (!Array.isArray(raw)) fail(`'input' must be a string or a list of strings, got ${kind(raw)}`, "input", "invalid_type");
  if (raw.length === 0) fail("'input' must not be an empty list", "input");
  if (raw.length > MAX_INPUTS) fail(`'input' may hold at most ${MAX_INPUTS} items, got ${raw.length}; send several requests`, "input");
  if (typeof raw[0] === "number" || Array.isArray(raw[0])) {
    // Token ids mean something else to every provider's tokenizer: only text can go to any host of a model.
    fail(
      "'input' as token ids is not supported: each provider counts with its own tokenizer, so send the text instead (LangChain's OpenAIEmbeddings sends token ids unless check_embedding_ctx_length is False)",
      "input",
      "invalid_type",
    );
  }
  let tokens = 0;
  for (const [i, s] of raw.entries()) {
    if (typeof s !== "string") fail(`'input[${i}]' must be a string, got ${kind(s)}`, `input[${i}]`, "invalid_type");
    if (s === "") fail(`'input[${i}]' is an empty string; every input needs text`, `input[${i}]`);
    tokens += textTokens(s);
  }
  if (tokens > MAX_TOTAL_TOKENS) fail(`'input' holds about ${tokens} tokens; at most ${MAX_TOTAL_TOKENS} per request`, "input");
  return raw as string[];
}

/** Check a parsed body; returns the request, or throws a 400 naming the first bad field. */
export function validateEmbeddings(body: unknown): EmbeddingsRequest {
  if (!isObject(body)) fail(`The request body must be a JSON object, got ${kind(body)}`, "body", "invalid_type");
  for (const f of NOT_FOR_EMBEDDINGS) {
    if (body[f] !== undefined) {
      fail(`'${f}' is not a parameter of /v1/embeddings${f === "models" ? " (one request, one embedding model)" : " (it belongs to /v1/chat/completions or /v1/responses)"}`, f, "unsupported_parameter");
    }
  }
  const model = body.model;
  if (model === undefined || model === null) fail("'model' is required (use \"auto\" to let freeway choose)", "model", "missing_required_parameter");
  if (typeof model !== "string") fail(`'model' must be a string, got ${kind(model)}`, "model", "invalid_type");
  if (model.trim() === "") fail("'model' must not be empty (use \"auto\" to let freeway choose)", "model");
  const badName = badModelName(model);
  if (badName !== null) fail(`'model' ${badName}`, "model");
  const input = inputs(body.input);
  const format = body.encoding_format;
  if (format !== undefined && format !== null && format !== "float" && format !== "base64") {
    fail(`'encoding_format' must be 'float' or 'base64', got ${JSON.stringify(format).slice(0, 40)}`, "encoding_format");
  }
  const dims = body.dimensions;
  if (dims !== undefined && dims !== null && (typeof dims !== "number" || !Number.isInteger(dims) || dims < 1)) {
    fail("'dimensions' must be a positive integer", "dimensions", typeof dims === "number" ? "invalid_value" : "invalid_type");
  }
  const user = body.user;
  if (user !== undefined && user !== null && typeof user !== "string") fail(`'user' must be a string, got ${kind(user)}`, "user", "invalid_type");
  const it = body.input_type;
  let inputType: "query" | "document" | undefined;
  if (it !== undefined && it !== null) {
    // Own keys only: "constructor" or "__proto__" would find the table's prototype.
    inputType = typeof it === "string" && Object.hasOwn(INPUT_TYPES, it) ? INPUT_TYPES[it] : undefined;
    if (!inputType) fail("'input_type' must be 'query' or 'document' ('passage' is taken for 'document')", "input_type");
  }
  const extra: JsonObject = {};
  for (const [k, v] of Object.entries(body)) if (!OWN.has(k)) extra[k] = v;
  // A plain OpenAI-compatible host of an asymmetric model (self-hosted NIM, TEI, vLLM) reads it as written.
  if (typeof it === "string") extra.input_type = it;
  return {
    model,
    input,
    encodingFormat: format === "base64" ? "base64" : "float",
    encodingAsked: format === "float" || format === "base64",
    ...(typeof dims === "number" ? { dimensions: dims } : {}),
    ...(typeof user === "string" ? { user } : {}),
    ...(inputType ? { inputType } : {}),
    extra,
  };
}
