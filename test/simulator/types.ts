// Public shapes of the provider simulator: scripted faults, settings, the request log and stats.

import type { Limits } from "../../shared/catalog/types.ts";

/**
 * How a scripted fault breaks a request. "after N tokens" counts content pieces (one token each); faults that need
 * a body part the request lacks (a stream, tokens) act at the nearest point there is.
 */
export type SimFault =
  /** the dialect's real 429; `retryAfter` omitted → no Retry-After header (Gemini: no RetryInfo) */
  | { kind: "rate_limit"; scope?: "minute" | "day"; retryAfter?: number }
  /**
   * any HTTP error in the dialect's error shape (plain: the message alone as a text body, as a proxy's error page);
   * `code`: the provider's own code in it (Workers AI's envelope code, the OpenAI-style `code` where there is one)
   */
  | { kind: "status"; status: number; message?: string; plain?: boolean; code?: string | number }
  /** connection reset before any header */
  | { kind: "reset" }
  /** never answers until the client aborts */
  | { kind: "hang" }
  // cut, stall, malformed and error_chunk with `afterFinish`: the fault comes after the frame carrying
  // finish_reason (before the usage chunk and [DONE]) instead of after N tokens.
  /** delay before the first byte (non-stream) or the first chunk after the headers (stream) */
  | { kind: "slow"; firstTokenMs: number; tokenIntervalMs?: number }
  /** N tokens then the connection drops (clean: the stream just ends) */
  | { kind: "cut"; afterTokens: number; clean?: boolean; afterFinish?: boolean }
  /** N tokens then silence, connection held open */
  | { kind: "stall"; afterTokens: number; afterFinish?: boolean }
  /** after N tokens one frame that is not JSON, then the stream continues */
  | { kind: "malformed"; afterTokens: number; afterFinish?: boolean }
  /** the whole stream but no `data: [DONE]` */
  | { kind: "no_done" }
  /** after N tokens a mid-stream error in the dialect's form, then the end */
  | { kind: "error_chunk"; afterTokens: number; afterFinish?: boolean }
  | { kind: "context_length" }
  | { kind: "content_policy" }
  /** Groq-style 413: one request bigger than the tokens-per-minute limit */
  | { kind: "too_large" }
  /**
   * the dialect's 400 "this model does not accept an assistant prefill"; matches only requests whose last message
   * is an assistant prefill (other requests neither match the rule nor use up its `times`)
   */
  | { kind: "reject_prefill" }
  /** the first `afterTokens` (default 0) pieces as usual, the rest from another seed: a different answer from there */
  | { kind: "diverge"; afterTokens?: number };

export type SimFaultKind = SimFault["kind"];

export const FAULT_KINDS: readonly SimFaultKind[] = [
  "rate_limit",
  "status",
  "reset",
  "hang",
  "slow",
  "cut",
  "stall",
  "malformed",
  "no_done",
  "error_chunk",
  "context_length",
  "content_policy",
  "too_large",
  "reject_prefill",
  "diverge",
];

export interface SimRule {
  id?: string;
  /** provider mount id: "groq", "openai", … ; absent = any */
  provider?: string;
  /** upstream model name as sent in the body; absent = any */
  model?: string;
  /** apply to the next N matching requests, then expire; absent = forever */
  times?: number;
  fault: SimFault;
}

export interface SimConfig {
  /** "catalog": enforce the catalog's free-tier limits; "off": only limits set with setLimits */
  limits: "catalog" | "off";
  /** delay before the response headers, every provider request */
  latencyMs: number;
  /** delay between stream chunks */
  tokenIntervalMs: number;
}

export const DEFAULT_CONFIG: Readonly<SimConfig> = { limits: "catalog", latencyMs: 0, tokenIntervalMs: 0 };

export type Endpoint = "chat" | "embeddings" | "models";

export interface LogEntry {
  seq: number;
  ts: number;
  provider: string;
  /** upstream model name from the body ("" when there is none) */
  model: string;
  endpoint: Endpoint | "unknown";
  stream: boolean;
  /** HTTP status sent; 0 = no response (reset, hang, client gone before headers) */
  status: number;
  fault?: SimFaultKind;
  /** a 429/413 produced by the limit counters (not by a scripted fault) */
  limited?: boolean;
  /** the client went away before the answer finished */
  aborted: boolean;
  /** completion tokens delivered (stream: content chunks actually sent) */
  tokensSent: number;
  body: unknown;
}

export interface ModelStats {
  requests: number;
  ok: number;
  statuses: Record<string, number>;
}

export interface SimStats {
  total: number;
  byModel: Record<string, ModelStats>;
}

export type LimitsOverride = Limits | null;
