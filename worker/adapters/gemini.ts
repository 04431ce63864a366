// Gemini's OpenAI layer: errors as a JSON array, quota ids that say PerDay, waits in RetryInfo, no headers.

import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type ChatMessage, type ChatRequest, type JsonObject } from "../validate.ts";
import { goDuration } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { NormalizedError } from "./types.ts";

/** Fields the compat layer documents (ai.google.dev/api/compatibility); anything else risks a 400. */
const ACCEPTED = new Set([
  "model", "messages", "stream", "stream_options", "tools", "tool_choice", "n", "stop", "max_completion_tokens",
  "max_tokens", "temperature", "top_p", "response_format", "reasoning_effort", "seed", "presence_penalty", "frequency_penalty",
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
        out.providerCode = v.quotaId;
        // quotaValue is the limit that was hit: the provider telling us its real free-tier number.
        const limit = Number(v.quotaValue);
        if (Number.isFinite(limit) && limit > 0 && /Requests/.test(v.quotaId)) {
          out.rate = /PerDay/.test(v.quotaId) ? { limitRequestsDay: limit, remainingRequestsDay: 0 } : { limitRequestsMinute: limit, remainingRequestsMinute: 0 };
        }
      }
    }
    return out;
  }

  /** PerDay quota ids reset at midnight Pacific; their retryDelay (seconds) is meaningless then (PROVIDERS.md §3b). */
  protected override isDaily(err: NormalizedError): boolean {
    return /PerDay/i.test(err.providerCode ?? "") || /per day/i.test(err.message);
  }
}
