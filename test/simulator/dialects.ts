// Per-provider wire dialects: error bodies, 429s and rate-limit headers, shaped as in PROVIDERS.md.

import type { Dialect } from "../../shared/catalog/types.ts";
import type { Snapshot } from "./limits.ts";
import type { JsonObject } from "./util.ts";
import { goDuration } from "./util.ts";

/** An error answer ready to send. */
export interface SimError {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** sent as text/plain instead of the JSON body */
  text?: string;
}

/** Knobs for one error; each dialect reads the ones its real API has. */
export interface ErrorDetail {
  /** OpenAI-style `type` */
  type?: string;
  /** OpenAI-style `code` */
  code?: string | null;
  param?: string | null;
  /** OpenRouter `metadata.error_type` */
  errorType?: string;
  /** Workers AI envelope error code */
  cfCode?: number;
  /** Gemini `error.details[]` */
  details?: unknown[];
  /** Gemini canonical status name, when not derivable from the HTTP status */
  googleStatus?: string;
}

const REASON: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const GOOGLE_STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  408: "DEADLINE_EXCEEDED",
  409: "ABORTED",
  413: "INVALID_ARGUMENT",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  502: "UNAVAILABLE",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const OPENROUTER_TYPE: Record<number, string> = {
  400: "invalid_request",
  401: "authentication",
  402: "payment_required",
  403: "permission_denied",
  404: "not_found",
  408: "timeout",
  413: "payload_too_large",
  429: "rate_limit_exceeded",
  502: "provider_unavailable",
  503: "provider_overloaded",
};

// Codes from workers-ai/platform/errors.mdx where one fits; 10000 is the Cloudflare API's auth error.
const CF_CODE: Record<number, number> = {
  400: 5004,
  401: 10000,
  403: 3023,
  404: 5007,
  405: 5019,
  408: 3007,
  413: 3006,
  429: 3040,
};

function openaiType(status: number): string {
  if (status === 401) return "invalid_request_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function cerebrasType(status: number): string {
  if (status === 404) return "not_found_error";
  if (status === 429) return "too_many_requests_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function reasonPhrase(status: number): string {
  return REASON[status] ?? (status >= 500 ? "Server Error" : "Error");
}

/** The error body a provider sends for this status and message. */
export function dialectError(dialect: Dialect, status: number, message: string, d: ErrorDetail = {}): SimError {
  switch (dialect) {
    case "groq": {
      const error: JsonObject = { message, type: d.type ?? openaiType(status) };
      if (d.code) error["code"] = d.code;
      if (d.param) error["param"] = d.param;
      return { status, body: { error } };
    }
    case "openai":
    case "sambanova":
      return {
        status,
        body: { error: { message, type: d.type ?? openaiType(status), param: d.param ?? null, code: d.code ?? null } },
      };
    case "cerebras":
      // Cerebras errors are flat, not nested under `error` (PROVIDERS.md §4).
      return { status, body: { message, type: d.type ?? cerebrasType(status), param: d.param ?? null, code: d.code ?? null } };
    case "gemini": {
      const error: JsonObject = { code: status, message, status: d.googleStatus ?? GOOGLE_STATUS[status] ?? "UNKNOWN" };
      if (d.details) error["details"] = d.details;
      // The compat layer wraps the Google error in a JSON array (PROVIDERS.md §3a).
      return { status, body: [{ error }] };
    }
    case "nvidia":
      return { status, body: { status, title: reasonPhrase(status), detail: message } };
    case "openrouter": {
      const errorType = d.errorType ?? OPENROUTER_TYPE[status];
      const error: JsonObject = { code: status, message };
      if (errorType) error["metadata"] = { error_type: errorType };
      return { status, body: { error } };
    }
    case "voyage":
      return { status, body: { detail: message } };
    case "workers-ai":
      return {
        status,
        body: { success: false, errors: [{ code: d.cfCode ?? CF_CODE[status] ?? 3043, message }], messages: [], result: null },
      };
  }
}

/** Default wording when a scripted status fault gives no message. */
function defaultMessage(dialect: Dialect, status: number): string {
  if (dialect === "gemini") {
    if (status === 503) return "The model is overloaded.";
    if (status === 500) return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting";
    if (status === 403) return "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.";
  }
  if (dialect === "openrouter") {
    if (status === 402) return "Your account or API key has insufficient credits. Add more credits and retry the request.";
    if (status === 502) return "Provider returned error";
    if (status === 503) return "No available model provider that meets your routing requirements";
  }
  if (dialect === "workers-ai") {
    if (status === 429) return "Capacity temporarily exceeded, please try again.";
    if (status >= 500) return "Internal server error";
  }
  return reasonPhrase(status);
}

/** A scripted `status` fault. */
export function statusError(dialect: Dialect, status: number, message?: string, code?: string | number): SimError {
  const detail: ErrorDetail = code === undefined ? {} : dialect === "workers-ai" ? { cfCode: Number(code) } : { code: String(code) };
  return dialectError(dialect, status, message ?? defaultMessage(dialect, status), detail);
}

export function authError(dialect: Dialect, missing: boolean): SimError {
  switch (dialect) {
    case "groq":
      return dialectError(dialect, 401, "Invalid API Key", { code: "invalid_api_key" });
    case "cerebras":
      return dialectError(dialect, 401, "Wrong API Key", { param: "api_key", code: "wrong_api_key" });
    case "gemini":
      return dialectError(dialect, 401, missing ? "Request is missing required authentication credential." : "API key not valid. Please pass a valid API key.");
    case "nvidia":
      return dialectError(dialect, 401, "Authentication failed");
    case "openrouter":
      return { status: 401, body: { error: { code: 401, message: missing ? "No auth credentials found" : "User not found." } } };
    case "voyage":
      return dialectError(dialect, 401, missing ? "No API key provided." : "Provided API key is invalid.");
    case "workers-ai":
      return dialectError(dialect, 401, "Authentication error", { cfCode: 10000 });
    case "sambanova":
    case "openai":
      return missing
        ? dialectError(dialect, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        : dialectError(dialect, 401, "Incorrect API key provided.", { code: "invalid_api_key" });
  }
}

export function modelNotFound(dialect: Dialect, model: string): SimError {
  switch (dialect) {
    case "groq":
      return dialectError(dialect, 404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: "model_not_found" });
    case "cerebras":
      return dialectError(dialect, 404, `Model ${model} does not exist or you do not have access to it.`, { param: "model", code: "model_not_found" });
    case "gemini":
      return dialectError(dialect, 404, `models/${model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`);
    case "nvidia":
      return dialectError(dialect, 404, `Function id for model '${model}' not found for account`);
    case "openrouter":
      return dialectError(dialect, 404, `No endpoints found for ${model}.`);
    case "voyage":
      return dialectError(dialect, 404, `Model ${model} is not supported.`);
    case "workers-ai":
      return dialectError(dialect, 404, `No such model ${model} or task`, { cfCode: 5007 });
    case "sambanova":
    case "openai":
      return dialectError(dialect, 404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: "model_not_found" });
  }
}

export function invalidRequest(dialect: Dialect, message: string, param?: string): SimError {
  if (dialect === "cerebras") return dialectError(dialect, 400, message, { param: param ?? null, code: "wrong_api_format" });
  return dialectError(dialect, 400, message, param === undefined ? {} : { param });
}

export function contextLengthError(dialect: Dialect, model: string, tokens: number, context: number): SimError {
  const openai = `This model's maximum context length is ${context} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`;
  const d = { param: "messages", code: "context_length_exceeded" };
  switch (dialect) {
    case "groq":
      return dialectError(dialect, 400, `Please reduce the length of the messages or completion. Current length is ${tokens} while limit is ${context}`, d);
    case "cerebras":
      return dialectError(dialect, 400, `Please reduce the length of the messages or completion. Current length is ${tokens} while limit is ${context}`, d);
    case "gemini":
      return dialectError(dialect, 400, `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${context}).`);
    case "openrouter":
      return dialectError(dialect, 400, `This endpoint's maximum context length is ${context} tokens. However, you requested about ${tokens} tokens. Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.`, { errorType: "context_length_exceeded" });
    case "nvidia":
      return dialectError(dialect, 400, `This model's maximum context length is ${context} tokens. However, you requested ${tokens} tokens. Please reduce the length of the messages.`);
    case "workers-ai":
      return dialectError(dialect, 400, `The estimated number of input and maximum output tokens (${tokens}) exceeded this model context window limit (${context}).`, { cfCode: 5021 });
    case "voyage":
      return dialectError(dialect, 400, `Request to model '${model}' failed. The max allowed tokens per submitted batch is ${context}. Your batch has ${tokens} tokens after truncation. Please lower the number of tokens in the batch.`);
    case "sambanova":
    case "openai":
      return dialectError(dialect, 400, openai, d);
  }
}

export function contentPolicyError(dialect: Dialect, model: string): SimError {
  switch (dialect) {
    case "openrouter":
      return {
        status: 403,
        body: {
          error: {
            code: 403,
            message: `${model} requires moderation. Your input was flagged for "violence". No credits were charged.`,
            metadata: { error_type: "content_policy_violation", reasons: ["violence"], flagged_input: "…", provider_name: "Sim" },
          },
        },
      };
    case "gemini":
      return dialectError(dialect, 400, "The request was blocked because it violates the content policy (SAFETY).");
    case "nvidia":
      return dialectError(dialect, 400, "Input violates the content policy.");
    case "voyage":
      return dialectError(dialect, 400, "Input violates the content policy.");
    case "workers-ai":
      return dialectError(dialect, 400, "Input violates the content policy.", { cfCode: 5004 });
    default:
      return dialectError(dialect, 400, "Your request was rejected as a result of our safety system.", { code: "content_policy_violation", param: "messages" });
  }
}

/** One request larger than the per-minute token allowance (Groq answers 413; PROVIDERS.md §2). */
export function tooLargeError(dialect: Dialect, model: string, limit: number, requested: number): SimError {
  if (dialect === "groq") {
    return dialectError(
      dialect,
      413,
      `Request too large for model \`${model}\` in organization \`org_sim\` service tier \`on_demand\` on tokens per minute (TPM): Limit ${limit}, Requested ${requested}, please reduce your message size and try again. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`,
      { type: "tokens", code: "rate_limit_exceeded" },
    );
  }
  const message = `Request too large for model ${model}: ${requested} tokens requested, the limit is ${limit} tokens per minute.`;
  if (dialect === "workers-ai") return dialectError(dialect, 413, message, { cfCode: 3006 });
  return dialectError(dialect, 413, message, { type: "tokens", code: "rate_limit_exceeded", errorType: "payload_too_large" });
}

/** Everything a dialect may put in a 429. */
export interface RateLimitInfo {
  model: string;
  scope: "minute" | "day";
  metric: "requests" | "tokens" | "concurrency";
  limit: number;
  used: number;
  requested: number;
  /** seconds for Retry-After / RetryInfo; undefined = send none (scripted fault without retryAfter) */
  retryAfter: number | undefined;
  /** the wait quoted in message text */
  waitMs: number;
  embeddings: boolean;
  /** the model's windows, for the headers some providers add to a 429 */
  snapshot: Snapshot;
  now: number;
}

const GROQ_LABEL = {
  minute: { requests: "requests per minute (RPM)", tokens: "tokens per minute (TPM)" },
  day: { requests: "requests per day (RPD)", tokens: "tokens per day (TPD)" },
} as const;

export function rateLimitError(dialect: Dialect, r: RateLimitInfo): SimError {
  const metric = r.metric === "tokens" ? "tokens" : "requests";
  const headers: Record<string, string> = {};
  const retry = r.retryAfter;
  switch (dialect) {
    case "groq": {
      Object.assign(headers, successHeaders(dialect, r.snapshot, r.now));
      if (retry !== undefined) headers["retry-after"] = String(Math.ceil(retry));
      const message = `Rate limit reached for model \`${r.model}\` in organization \`org_sim\` service tier \`on_demand\` on ${GROQ_LABEL[r.scope][metric]}: Limit ${r.limit}, Used ${r.used}, Requested ${r.requested}. Please try again in ${goDuration(r.waitMs)}. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing`;
      return { ...dialectError(dialect, 429, message, { type: metric, code: "rate_limit_exceeded" }), headers };
    }
    case "gemini":
      // No retry-after header on the compat layer: the wait is RetryInfo.retryDelay in the body (§3a).
      return geminiQuotaError(r);
    case "cerebras": {
      Object.assign(headers, successHeaders(dialect, r.snapshot, r.now));
      if (retry !== undefined) headers["retry-after"] = String(Math.ceil(retry));
      const per = r.scope === "day" ? "day" : "minute";
      const message =
        metric === "tokens"
          ? `Tokens per ${per} limit exceeded - too many tokens processed.`
          : `Requests per ${per} limit exceeded - too many requests sent.`;
      const code = metric === "tokens" ? "token_quota_exceeded" : "request_quota_exceeded";
      return { ...dialectError(dialect, 429, message, { type: "too_many_requests_error", param: "quota", code }), headers };
    }
    case "sambanova": {
      Object.assign(headers, successHeaders(dialect, r.snapshot, r.now));
      const message = `Request would exceed rate limit\nViolated duration_s: ${r.scope === "day" ? 86400 : 60}, current usage: ${r.used}, limit: ${r.limit}`;
      return { ...dialectError(dialect, 429, message, { type: "rate_limit_exceeded", code: "rate_limit_exceeded" }), headers };
    }
    case "nvidia":
      return { status: 429, body: { status: 429, title: "Too Many Requests" } };
    case "openrouter": {
      headers["X-RateLimit-Limit"] = String(r.limit);
      headers["X-RateLimit-Remaining"] = "0";
      headers["X-RateLimit-Reset"] = String(r.now + r.waitMs);
      if (retry !== undefined) headers["Retry-After"] = String(Math.ceil(retry));
      const message =
        r.scope === "day"
          ? "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"
          : "Rate limit exceeded: free-models-per-min.";
      return { ...dialectError(dialect, 429, message, { errorType: "rate_limit_exceeded" }), headers };
    }
    case "voyage": {
      const message =
        r.scope === "day"
          ? "You have used up your free tokens for this model. Please add a payment method in the billing page to continue."
          : "You have not yet added your payment method in the billing page and will have reduced rate limits of 3 RPM and 10K TPM. To unlock our standard rate limits, please add a payment method in the billing page for the appropriate organization in the user dashboard (https://dashboard.voyageai.com/).";
      return dialectError(dialect, 429, message);
    }
    case "workers-ai": {
      if (retry !== undefined) headers["retry-after"] = String(Math.ceil(retry));
      const body =
        r.scope === "day"
          ? dialectError(dialect, 429, "You have used up your daily free allocation of 10,000 neurons, please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.", { cfCode: 3036 })
          : dialectError(dialect, 429, "rate limiting: inference request per min rate reached", { cfCode: 3021 });
      return { ...body, headers };
    }
    case "openai": {
      Object.assign(headers, successHeaders(dialect, r.snapshot, r.now));
      if (retry !== undefined) headers["retry-after"] = String(Math.ceil(retry));
      if (r.scope === "day") {
        return {
          ...dialectError(dialect, 429, "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.", { type: "insufficient_quota", code: "insufficient_quota" }),
          headers,
        };
      }
      const label = metric === "tokens" ? "tokens per min (TPM)" : "requests per min (RPM)";
      const message = `Rate limit reached for ${r.model} in organization org-sim on ${label}: Limit ${r.limit}, Used ${r.used}, Requested ${r.requested}. Please try again in ${goDuration(r.waitMs)}. Visit https://platform.openai.com/account/rate-limits to learn more.`;
      return { ...dialectError(dialect, 429, message, { type: metric, code: "rate_limit_exceeded" }), headers };
    }
  }
}

function geminiQuotaError(r: RateLimitInfo): SimError {
  const tokens = r.metric === "tokens";
  const day = r.scope === "day";
  const quotaId = r.embeddings
    ? `EmbedContentRequestsPer${day ? "Day" : "Minute"}PerUserPerProjectPerModel-FreeTier`
    : tokens
      ? `GenerateContentInputTokensPerModelPer${day ? "Day" : "Minute"}-FreeTier`
      : `GenerateRequestsPer${day ? "Day" : "Minute"}PerProjectPerModel-FreeTier`;
  const quotaMetric = r.embeddings
    ? "generativelanguage.googleapis.com/embed_content_free_tier_requests"
    : tokens
      ? "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count"
      : "generativelanguage.googleapis.com/generate_content_free_tier_requests";
  const wait = Math.round(r.waitMs) / 1000;
  const message =
    "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n" +
    `* Quota exceeded for metric: ${quotaMetric}, limit: ${r.limit}, model: ${r.model}\nPlease retry in ${wait}s.`;
  const details: unknown[] = [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaMetric, quotaId, quotaDimensions: { location: "global", model: r.model }, quotaValue: String(r.limit) }],
    },
    {
      "@type": "type.googleapis.com/google.rpc.Help",
      links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }],
    },
  ];
  if (r.retryAfter !== undefined) {
    details.push({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${Math.ceil(r.retryAfter)}s` });
  }
  return dialectError("gemini", 429, message, { details });
}

/** Rate-limit headers on a successful answer, where the real provider sends them (PROVIDERS.md §12.5). */
export function successHeaders(dialect: Dialect, s: Snapshot, now: number): Record<string, string> {
  const h: Record<string, string> = {};
  switch (dialect) {
    case "groq":
      // Groq: "requests" is always RPD and "tokens" always TPM; resets are Go durations (§2).
      if (s.rpd) {
        h["x-ratelimit-limit-requests"] = String(s.rpd.limit);
        h["x-ratelimit-remaining-requests"] = String(s.rpd.remaining);
        h["x-ratelimit-reset-requests"] = goDuration(s.rpd.resetMs);
      }
      if (s.tpm) {
        h["x-ratelimit-limit-tokens"] = String(s.tpm.limit);
        h["x-ratelimit-remaining-tokens"] = String(s.tpm.remaining);
        h["x-ratelimit-reset-tokens"] = goDuration(s.tpm.resetMs);
      }
      break;
    case "openai":
      if (s.rpm) {
        h["x-ratelimit-limit-requests"] = String(s.rpm.limit);
        h["x-ratelimit-remaining-requests"] = String(s.rpm.remaining);
        h["x-ratelimit-reset-requests"] = goDuration(s.rpm.resetMs);
      }
      if (s.tpm) {
        h["x-ratelimit-limit-tokens"] = String(s.tpm.limit);
        h["x-ratelimit-remaining-tokens"] = String(s.tpm.remaining);
        h["x-ratelimit-reset-tokens"] = goDuration(s.tpm.resetMs);
      }
      break;
    case "cerebras":
      // Cerebras: requests per day and tokens per minute, resets in float seconds (§4).
      if (s.rpd) {
        h["x-ratelimit-limit-requests-day"] = String(s.rpd.limit);
        h["x-ratelimit-remaining-requests-day"] = String(s.rpd.remaining);
        h["x-ratelimit-reset-requests-day"] = (s.rpd.resetMs / 1000).toFixed(2);
      }
      if (s.tpm) {
        h["x-ratelimit-limit-tokens-minute"] = String(s.tpm.limit);
        h["x-ratelimit-remaining-tokens-minute"] = String(s.tpm.remaining);
        h["x-ratelimit-reset-tokens-minute"] = (s.tpm.resetMs / 1000).toFixed(2);
      }
      break;
    case "sambanova":
      // SambaNova: RPM by default, `-day` for RPD, resets as unix epoch seconds (§5, names UNCONFIRMED).
      if (s.rpm) {
        h["x-ratelimit-limit-requests"] = String(s.rpm.limit);
        h["x-ratelimit-remaining-requests"] = String(s.rpm.remaining);
        h["x-ratelimit-reset-requests"] = String(Math.ceil((now + s.rpm.resetMs) / 1000));
      }
      if (s.rpd) {
        h["x-ratelimit-limit-requests-day"] = String(s.rpd.limit);
        h["x-ratelimit-remaining-requests-day"] = String(s.rpd.remaining);
        h["x-ratelimit-reset-requests-day"] = String(Math.ceil((now + s.rpd.resetMs) / 1000));
      }
      break;
    default:
      // Gemini, NVIDIA, OpenRouter (only on 429), Voyage and Workers AI send none.
      break;
  }
  return h;
}
