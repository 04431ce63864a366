// Gemini's OpenAI layer: errors as a JSON array, quota ids that say PerDay, waits in RetryInfo, no headers.
// Embeddings go to the native batchEmbedContents, which documents outputDimensionality and taskType.

import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type ChatMessage, type ChatRequest, type JsonObject } from "../validate.ts";
import { goDuration } from "./headers.ts";
import { asVector, OpenAIAdapter } from "./openai.ts";
import type { EmbedInput, Embedded, NormalizedError, UpstreamCall, Vector } from "./types.ts";

/** Fields the compat layer documents (ai.google.dev/api/compatibility); anything else risks a 400. */
const ACCEPTED = new Set([
  "model", "messages", "stream", "stream_options", "tools", "tool_choice", "n", "stop", "max_completion_tokens",
  "max_tokens", "temperature", "top_p", "response_format", "reasoning_effort", "seed", "presence_penalty", "frequency_penalty",
  // Gemini's own options, such as extra_body.google.thinking_config (PROVIDERS.md §3a).
  "extra_body",
]);

/** Gemma on the Gemini API rejects system instructions: fold them into the first user turn. */
function foldSystem(messages: ChatMessage[]): ChatMessage[] {
  const system = messages.filter((m) => m.role === "system" || m.role === "developer");
  if (system.length === 0) return messages;
  const text = system.map((m) => (typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => String(p.text ?? "")).join(""))).join("\n\n");
  const rest = messages.filter((m) => m.role !== "system" && m.role !== "developer");
  const i = rest.findIndex((m) => m.role === "user");
  if (i < 0) return [{ role: "user", content: text }, ...rest];
  const first = rest[i] as ChatMessage;
  const content = typeof first.content === "string" ? `${text}\n\n${first.content}` : [{ type: "text", text }, ...(first.content ?? [])];
  return [...rest.slice(0, i), { ...first, content }, ...rest.slice(i + 1)];
}

export class GeminiAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "gemini";

  protected override prepare(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean): JsonObject {
    const body = super.prepare(req, model, provider, stream);
    for (const k of Object.keys(body)) if (!ACCEPTED.has(k)) delete body[k];
    if (model.noSystemRole) body.messages = foldSystem(req.messages) as JsonObject[];
    return body;
  }

  protected override refineError(err: NormalizedError, _body: JsonObject, e: JsonObject): NormalizedError {
    const out = { ...err, type: typeof e.status === "string" ? e.status : err.type };
    for (const d of Array.isArray(e.details) ? e.details : []) {
      if (!isObject(d)) continue;
      if (typeof d.retryDelay === "string") out.bodyRetryMs = goDuration(d.retryDelay);
      for (const v of Array.isArray(d.violations) ? d.violations : []) {
        if (!isObject(v) || typeof v.quotaId !== "string") continue;
        // One body may list several quotas hit at once: a per-day one decides (the allowance is gone until the reset).
        if (!/PerDay/i.test(out.providerCode ?? "")) out.providerCode = v.quotaId;
        // quotaValue is the limit that was hit: the provider telling us its real free-tier number.
        const limit = Number(v.quotaValue);
        if (Number.isFinite(limit) && limit > 0 && /Requests/.test(v.quotaId)) {
          out.rate = { ...out.rate, ...(/PerDay/.test(v.quotaId) ? { limitRequestsDay: limit, remainingRequestsDay: 0 } : { limitRequestsMinute: limit, remainingRequestsMinute: 0 }) };
        }
      }
    }
    return out;
  }

  /**
   * `models/{m}:batchEmbedContents` under the native root (the configured root without "/openai"): the compat
   * layer documents no `dimensions`, the native API takes outputDimensionality (PROVIDERS.md §3b). Only the
   * x-goog-api-key header: sending a bearer token as well is a 400 (§3a).
   */
  override embedRequest(e: EmbedInput, model: ModelSpec, provider: ResolvedProvider, signal: AbortSignal): UpstreamCall {
    const name = `models/${model.upstream}`;
    const task = e.inputType === "query" ? "RETRIEVAL_QUERY" : e.inputType === "document" ? "RETRIEVAL_DOCUMENT" : undefined;
    const requests = e.input.map((text) => {
      const r: JsonObject = { model: name, content: { parts: [{ text }] } };
      if (e.dimensions !== undefined) r.outputDimensionality = e.dimensions;
      if (task) r.taskType = task;
      return r;
    });
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (provider.key) headers["x-goog-api-key"] = provider.key;
    return {
      url: `${provider.url.replace(/\/openai$/, "")}/${name}:batchEmbedContents`,
      init: { method: "POST", headers, body: JSON.stringify({ requests }), signal },
    };
  }

  /** `{embeddings: [{values}]}`, in request order, without usage. */
  override parseEmbeddings(body: JsonObject, count: number): Embedded | string {
    const list = body.embeddings;
    if (!Array.isArray(list)) return "the provider's answer has no embeddings list";
    if (list.length !== count) return `the provider returned ${list.length} vectors for ${count} inputs`;
    const vectors: Vector[] = [];
    for (const item of list) {
      const v = isObject(item) ? asVector(item.values) : null;
      if (v === null) return "the provider's answer holds an embedding without values";
      vectors.push(v);
    }
    return { vectors, tokens: undefined };
  }

  /** PerDay quota ids reset at midnight Pacific; their retryDelay (seconds) is meaningless then (PROVIDERS.md §3b). */
  protected override isDaily(err: NormalizedError): boolean {
    return /PerDay/i.test(err.providerCode ?? "") || /per day/i.test(err.message);
  }
}
