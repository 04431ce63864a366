// What the fake models say: canonical answers, token estimates, tool calls and JSON built from schemas.

import { hash32, hexId, seededRandom } from "./hash.ts";
import { isRecord } from "./util.ts";
import type { JsonObject } from "./util.ts";

export const DEFAULT_ANSWER_TOKENS = 12;
export const MAX_ANSWER_TOKENS = 4000;

const WORDS = [
  "amber", "river", "quiet", "lantern", "orbit", "meadow", "copper", "signal",
  "harbor", "velvet", "summit", "pebble", "window", "thunder", "maple", "cobalt",
  "garden", "echo", "falcon", "marble", "canyon", "ember", "frost", "island",
  "jasmine", "kettle", "ledger", "mirror", "nectar", "oasis", "prism", "quartz",
  "ribbon", "saddle", "timber", "umbrella", "valley", "willow", "zephyr", "anchor",
  "beacon", "cedar", "dune", "fable", "glacier", "hollow", "ivory", "juniper",
  "kernel", "lotus", "mosaic", "nimbus", "onyx", "parcel", "quiver", "rustic",
  "sierra", "tundra", "urchin", "vortex", "wander", "yonder", "zenith", "breeze",
] as const;

const DIRECTIVE = /\[\[tokens=(\d+)\]\]/g;

const CACHED = /\[\[cached=(\d+)\]\]/;

/** Prompt tokens the provider says came from its cache: a `[[cached=N]]` directive, at most the whole prompt. */
export function cachedLength(prompt: string, promptTokens: number): number {
  const m = CACHED.exec(prompt);
  return m ? Math.min(promptTokens, Number(m[1])) : 0;
}

/** The answer length asked for by a `[[tokens=N]]` directive (clamped to 1…4000), or the default 12. */
export function answerLength(prompt: string): number {
  let n: number | undefined;
  for (const m of prompt.matchAll(DIRECTIVE)) n = Number(m[1]);
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_ANSWER_TOKENS;
  return Math.min(MAX_ANSWER_TOKENS, Math.max(1, Math.floor(n)));
}

/** The answer's words; the directive is not part of the seed, so a shorter answer is a prefix of a longer one. */
function canonicalWords(prompt: string, tokens: number): string[] {
  const next = seededRandom(hash32(prompt.replace(DIRECTIVE, "").trim()));
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) {
    const w = WORDS[Math.floor(next() * WORDS.length)] ?? "amber";
    words.push(i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w);
  }
  return words;
}

/** The deterministic answer to a prompt: `tokens` words, first one capitalised, single spaces. */
export function canonicalAnswer(prompt: string, tokens: number): string {
  return canonicalWords(prompt, tokens).join(" ");
}

/** The answer as stream pieces, one token each: "Word", " word", " word". */
export function canonicalPieces(prompt: string, tokens: number): string[] {
  return canonicalWords(prompt, tokens).map((w, i) => (i === 0 ? w : ` ${w}`));
}

/** Words from another seed, as pieces shaped like the answer's (" word", or "Word" at the very start). */
function otherPieces(seed: string, from: number, count: number, avoid: readonly string[] = []): string[] {
  const next = seededRandom(hash32(seed));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = from + i;
    let k = Math.floor(next() * WORDS.length);
    const shape = (w: string): string => (at === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : ` ${w}`);
    // Never the piece the canonical answer has here, so the text differs from this point on.
    if (shape(WORDS[k] ?? "amber") === avoid[i]) k = (k + 1) % WORDS.length;
    out.push(shape(WORDS[k] ?? "amber"));
  }
  return out;
}

/**
 * What a model that continues an assistant prefill `prefill` sends, given the pieces it would answer from scratch:
 * the rest of that answer when it starts with the prefill (from inside a piece if the prefill ends there), else a
 * continuation of its own, seeded from the prefill, as long as the whole answer.
 */
export function continuationPieces(answer: readonly string[], prefill: string): string[] {
  if (answer.join("").startsWith(prefill)) {
    let at = 0;
    for (const [i, piece] of answer.entries()) {
      if (at + piece.length > prefill.length) return [piece.slice(prefill.length - at), ...answer.slice(i + 1)];
      at += piece.length;
    }
    return [];
  }
  return otherPieces(`prefill\u0000${prefill}`, 1, answer.length);
}

/** The `diverge` fault: the first `after` pieces as given, the rest from another seed (each one different). */
export function divergePieces(pieces: readonly string[], after: number, seed: string): string[] {
  const n = Math.max(0, Math.floor(after));
  if (n >= pieces.length) return [...pieces];
  return [...pieces.slice(0, n), ...otherPieces(`diverge\u0000${seed}`, n, pieces.length - n, pieces.slice(n))];
}

/** The usage estimator: a quarter token per character, rounded up. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Text of a message content: a string, or the text parts of a content array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let out = "";
  for (const part of content) {
    if (typeof part === "string") out += part;
    else if (isRecord(part) && typeof part["text"] === "string") out += part["text"];
  }
  return out;
}

/** prompt_tokens: ceil(chars of all message contents / 4). */
export function estimatePromptTokens(messages: readonly unknown[]): number {
  let chars = 0;
  for (const m of messages) if (isRecord(m)) chars += contentText(m["content"]).length;
  return Math.ceil(chars / 4);
}

/**
 * An assistant prefill: the text of a last message from the assistant (string or text parts) with no tool calls,
 * which the model is asked to continue; undefined for any other request.
 */
export function trailingPrefill(messages: readonly unknown[]): string | undefined {
  const last = messages[messages.length - 1];
  if (!isRecord(last) || last["role"] !== "assistant") return undefined;
  const calls = last["tool_calls"];
  if (Array.isArray(calls) && calls.length > 0) return undefined;
  const content = last["content"];
  return typeof content === "string" || Array.isArray(content) ? contentText(content) : undefined;
}

/** The text the answer depends on: the last user message. */
export function lastUserText(messages: readonly unknown[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (isRecord(m) && m["role"] === "user") return contentText(m["content"]);
  }
  return "";
}

/** A sample value for a JSON schema: "Paris" or the enum's first value, 42, true, [], objects recursively. */
export function sampleFromSchema(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (!isRecord(schema) || depth > 12) return "Paris";
  const ref = schema["$ref"];
  if (typeof ref === "string") return sampleFromSchema(resolveRef(root, ref), root, depth + 1);
  const en = schema["enum"];
  if (Array.isArray(en) && en.length > 0) return en[0];
  if ("const" in schema) return schema["const"];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list) && list.length > 0) return sampleFromSchema(list[0], root, depth + 1);
  }
  const rawType = schema["type"];
  const type = Array.isArray(rawType) ? rawType.find((t) => t !== "null") : rawType;
  switch (type) {
    case "string":
      return "Paris";
    case "number":
    case "integer":
      return 42;
    case "boolean":
      return true;
    case "array":
      return [];
    case "null":
      return null;
    case "object":
      return sampleObject(schema, root, depth);
    default:
      return isRecord(schema["properties"]) ? sampleObject(schema, root, depth) : "Paris";
  }
}

function sampleObject(schema: JsonObject, root: unknown, depth: number): JsonObject {
  const out: JsonObject = {};
  const props = isRecord(schema["properties"]) ? schema["properties"] : {};
  const required = Array.isArray(schema["required"]) ? schema["required"] : [];
  for (const name of required) {
    if (typeof name === "string") out[name] = sampleFromSchema(props[name], root, depth + 1);
  }
  return out;
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) node = isRecord(node) ? node[part] : undefined;
  return node;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** The call a fake model makes: arguments built from the tool's parameter schema. */
export function makeToolCall(tool: JsonObject, seed: string): ToolCall {
  const fn = isRecord(tool["function"]) ? tool["function"] : tool;
  const name = typeof fn["name"] === "string" ? fn["name"] : "tool";
  const params = fn["parameters"];
  const args = isRecord(params) ? sampleFromSchema({ type: "object", ...params }) : {};
  return { id: `call_${hexId(`${seed}\u0000${name}`, 24)}`, name, arguments: JSON.stringify(args) };
}

/** Splits a tool call's arguments into 2–3 fragments the way real streams deliver them. */
export function argumentFragments(args: string): string[] {
  if (args.length < 2) return [args];
  const parts = args.length < 6 ? 2 : 3;
  const size = Math.ceil(args.length / parts);
  const out: string[] = [];
  for (let i = 0; i < args.length; i += size) out.push(args.slice(i, i + size));
  return out;
}

/** Splits text (JSON built from a schema) into 4-character pieces, one token each. */
export function textPieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 4) out.push(text.slice(i, i + 4));
  return out.length > 0 ? out : [""];
}
