// The contract every provider adapter fulfils: request translation, error and rate-limit reading, classification.

import type { FailureClass, FailureScope, RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import type { ChatRequest, JsonObject } from "../validate.ts";
import type { RawFloats } from "../embeddings/vectors.ts";

/** Any provider's error body, reduced to OpenAI's fields plus the provider's own code. */
export interface NormalizedError {
  status: number;
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
  /** Workers AI 3036, OpenRouter error_type, Gemini quotaId… */
  providerCode: string | null;
  /** Gemini RetryInfo.retryDelay and similar waits found in the body */
  bodyRetryMs?: number;
  /** limits the error body announces (Groq "Limit 30, Used 30", Gemini quotaValue, SambaNova "limit: 200000") */
  rate?: RateInfo;
}

export interface Classified {
  failure: FailureClass;
  scope: FailureScope;
  retryAfterMs?: number;
  /**
   * The provider does not serve this model to this account now (retired, unknown, private, terms not accepted):
   * it concerns this model alone, no sign of trouble with the provider or its key.
   */
  gone?: true;
}

export interface Usage {
  prompt: number;
  completion: number;
  /** of the prompt, tokens the provider served from its cache (usage.prompt_tokens_details.cached_tokens) */
  cached?: number;
}

/** One upstream embeddings call: texts for one model, within its batch limit, in the caller's order. */
export interface EmbedInput {
  input: string[];
  /** the vector size asked for; set only when the model offers it (catalog `dimensionOptions`) */
  dimensions?: number;
  /** the caller's hint for asymmetric models (Voyage and NVIDIA input_type, Gemini taskType) */
  inputType?: "query" | "document";
  /** the format the caller asked for: plain OpenAI-compatible providers get it as asked */
  encodingFormat?: "float" | "base64";
  user?: string;
  /** the caller's other fields, sent only to plain OpenAI-compatible providers (custom ones) */
  extra: JsonObject;
}

/**
 * A vector as the provider sent it: numbers (parsed, or kept as the provider's JSON text), or base64 of
 * little-endian float32 (OpenAI's `base64`).
 */
export type Vector = number[] | RawFloats | string;

export interface Embedded {
  /** one per input, in input order */
  vectors: Vector[];
  /** prompt tokens the provider counted, when it said */
  tokens: number | undefined;
}

/** A fresh upstream request (never the caller's): where to send it and how. */
export interface UpstreamCall {
  url: string;
  init: RequestInit;
}

export interface Adapter {
  readonly dialect: Dialect;
  /** whether the provider honours n > 1 */
  readonly supportsN: boolean;
  /** the upstream chat request: URL, auth, body with only what this provider accepts */
  chatRequest(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean, signal: AbortSignal): UpstreamCall;
  normalizeError(status: number, text: string): NormalizedError;
  classify(err: NormalizedError, headers: Headers, now: number): Classified;
  rateInfo(headers: Headers): RateInfo | undefined;
  /** usage from a response body or a stream chunk */
  usage(obj: JsonObject): Usage | undefined;
  /** an error carried inside a 200 stream (OpenRouter finish_reason "error", Cerebras error chunk, Groq x_groq.error) */
  streamError(chunk: JsonObject): NormalizedError | undefined;
  /** the upstream embeddings request for one batch */
  embedRequest(e: EmbedInput, model: ModelSpec, provider: ResolvedProvider, signal: AbortSignal): UpstreamCall;
  /** the vectors of an embeddings answer for `count` inputs, or what is wrong with it */
  parseEmbeddings(body: JsonObject, count: number): Embedded | string;
}
