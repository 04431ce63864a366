import { describe, expect, it } from "vitest";
import { adapterFor } from "../../worker/adapters/index.ts";

const now = Date.UTC(2026, 10, 27, 12);

function classify(dialect: Parameters<typeof adapterFor>[0], status: number, body: unknown, headers: Record<string, string> = {}) {
  const a = adapterFor(dialect);
  const err = a.normalizeError(status, typeof body === "string" ? body : JSON.stringify(body));
  return { err, c: a.classify(err, new Headers(headers), now) };
}

describe("failure classification per dialect", () => {
  it("Groq: per-minute 429 is a throttle honouring retry-after; per-day is daily with its own reset", () => {
    const minute = classify("groq", 429, { error: { message: "Rate limit reached ... on requests per minute (RPM): Limit 30, Used 30, Requested 1. Please try again in 2s.", type: "requests", code: "rate_limit_exceeded" } }, { "retry-after": "2" });
    expect(minute.c).toEqual({ failure: "throttle", scope: "model", retryAfterMs: 2000 });
    const day = classify("groq", 429, { error: { message: "Rate limit reached on tokens per day (TPD): Limit 100000, Used 97050, Requested 3619. Please try again in 9m38.016s.", type: "tokens", code: "rate_limit_exceeded" } });
    expect(day.c).toEqual({ failure: "daily", scope: "model", retryAfterMs: 578_016 });
  });

  it("Groq: x_groq.error on a chunk is a mid-stream failure, x_groq.error null is none", () => {
    const groq = adapterFor("groq");
    expect(groq.streamError({ x_groq: { id: "req_1", error: "Internal server error: generation stopped early" } })?.message).toBe("Internal server error: generation stopped early");
    expect(groq.streamError({ x_groq: { id: "req_1", error: null }, choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] })).toBeUndefined();
  });

  it("Groq 413 'request too large' skips the model for this request only", () => {
    expect(classify("groq", 413, { error: { message: "Request too large for model `llama-3.1-8b-instant` on tokens per minute (TPM): Limit 6000, Requested 12328", type: "tokens", code: "rate_limit_exceeded" } }).c.failure).toBe("too_large");
  });

  it("Gemini: unwraps the JSON array, reads PerDay quota ids and ignores their retryDelay", () => {
    const body = [{ error: { code: 429, message: "You exceeded your current quota", status: "RESOURCE_EXHAUSTED", details: [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier" }] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "42s" },
    ] } }];
    const { err, c } = classify("gemini", 429, body);
    expect(err.message).toBe("You exceeded your current quota");
    expect(c).toEqual({ failure: "daily", scope: "model", retryAfterMs: undefined });
    const minute = structuredClone(body);
    (minute[0]!.error.details[0] as { violations: Array<{ quotaId: string }> }).violations[0]!.quotaId = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    expect(classify("gemini", 429, minute).c).toEqual({ failure: "throttle", scope: "model", retryAfterMs: 42_000 });
  });

  it("Gemini: a body listing a per-day quota among others is daily, and keeps every limit it names", () => {
    const body = [{ error: { code: 429, message: "You exceeded your current quota", status: "RESOURCE_EXHAUSTED", details: [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [
        { quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", quotaValue: "20" },
        { quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quotaValue: "5" },
        { quotaId: "GenerateContentInputTokensPerModelPerMinute-FreeTier", quotaValue: "250000" },
      ] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "42s" },
    ] } }];
    const { err, c } = classify("gemini", 429, body);
    expect(c).toEqual({ failure: "daily", scope: "model", retryAfterMs: undefined });
    expect(err.rate).toEqual({ limitRequestsDay: 20, remainingRequestsDay: 0, limitRequestsMinute: 5, remainingRequestsMinute: 0 });
  });

  it("a key the provider rejects with a 400 takes the provider out, not the caller's request", () => {
    const gemini = [{ error: { code: 400, message: "API key not valid. Please pass a valid API key.", status: "INVALID_ARGUMENT", details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }] } }];
    expect(classify("gemini", 400, gemini).c.failure).toBe("auth");
    expect(classify("openai", 400, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key", param: null } }).c.failure).toBe("auth");
    // A plain bad request stays the caller's.
    expect(classify("gemini", 400, [{ error: { code: 400, message: "Invalid value at 'temperature'", status: "INVALID_ARGUMENT" } }]).c.failure).toBe("caller");
  });

  it("an OpenAI-style insufficient_quota 429 waits for the reset, not seconds", () => {
    const body = { error: { message: "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota", param: null, code: "insufficient_quota" } };
    expect(classify("openai", 429, body, { "retry-after": "20" }).c.failure).toBe("daily");
    expect(classify("openai", 429, { error: { message: "Rate limit reached. Please try again in 2s.", type: "requests", code: "rate_limit_exceeded" } }).c.failure).toBe("throttle");
  });

  it("Cerebras: flat body; day headers at zero mean daily", () => {
    const body = { message: "Requests per minute limit exceeded - too many requests sent.", type: "too_many_requests_error", param: "quota", code: "request_quota_exceeded" };
    const { err, c } = classify("cerebras", 429, body);
    expect(err).toMatchObject({ message: body.message, code: "request_quota_exceeded" });
    expect(c.failure).toBe("throttle");
    expect(classify("cerebras", 429, body, { "x-ratelimit-remaining-requests-day": "0", "x-ratelimit-reset-requests-day": "33011.38" }).c).toEqual({ failure: "daily", scope: "model", retryAfterMs: 33_011_380 });
  });

  it("Cerebras: a daily 429 waits for the reset of the day bucket that ran out, not another one", () => {
    // PROVIDERS.md §12.2: exhausted when "x-ratelimit-remaining-requests-day=0 or tokens-day exhausted".
    const body = { message: "Tokens per day limit exceeded - too many tokens processed.", type: "too_many_requests_error", param: "quota", code: "token_quota_exceeded" };
    const headers = {
      "x-ratelimit-remaining-requests-day": "13000",
      "x-ratelimit-reset-requests-day": "33011.38",
      "x-ratelimit-remaining-tokens-day": "0",
      "x-ratelimit-reset-tokens-day": "3600.5",
    };
    expect(classify("cerebras", 429, body, headers).c).toEqual({ failure: "daily", scope: "model", retryAfterMs: 3_600_500 });
  });

  it("Cerebras: a short-window 429 without retry-after waits for the reset header of the bucket that ran out (minute or hour)", () => {
    // PROVIDERS.md §4: x-ratelimit-{limit,remaining,reset}-{requests,tokens}-{minute,hour,day}, resets in float seconds;
    // ARCHITECTURE.md failure table: a short throttle cools "for Retry-After / reset header / backoff".
    const body = { message: "Tokens per hour limit exceeded - too many tokens processed.", type: "too_many_requests_error", param: "quota", code: "token_quota_exceeded" };
    const hour = classify("cerebras", 429, body, {
      "x-ratelimit-remaining-requests-day": "13000",
      "x-ratelimit-reset-requests-day": "33011.38",
      "x-ratelimit-remaining-tokens-minute": "25000",
      "x-ratelimit-reset-tokens-minute": "11.38",
      "x-ratelimit-remaining-tokens-hour": "0",
      "x-ratelimit-reset-tokens-hour": "1800.5",
    });
    expect(hour.c).toEqual({ failure: "throttle", scope: "model", retryAfterMs: 1_800_500 });
    const minute = classify("cerebras", 429, { ...body, message: "Tokens per minute limit exceeded - too many tokens processed." }, {
      "x-ratelimit-remaining-tokens-minute": "0",
      "x-ratelimit-reset-tokens-minute": "11.38",
    });
    expect(minute.c).toEqual({ failure: "throttle", scope: "model", retryAfterMs: 11_380 });
    // Retry-After, when sent, still decides.
    expect(classify("cerebras", 429, body, { "retry-after": "3", "x-ratelimit-remaining-tokens-hour": "0", "x-ratelimit-reset-tokens-hour": "1800.5" }).c.retryAfterMs).toBe(3000);
  });

  it("OpenRouter: numeric codes, 402 takes the provider out, free-models-per-day cools the shared pool", () => {
    expect(classify("openrouter", 402, { error: { code: 402, message: "Your account or API key has insufficient credits", metadata: { error_type: "payment_required" } } }).c.failure).toBe("auth");
    const day = classify("openrouter", 429, { error: { code: 429, message: "Rate limit exceeded: free-models-per-day.", metadata: { error_type: "rate_limit_exceeded" } } }, { "x-ratelimit-reset": String(now + 3_600_000), "x-ratelimit-remaining": "0" });
    expect(day.c).toEqual({ failure: "daily", scope: "pool", retryAfterMs: 3_600_000 });
    const minute = classify("openrouter", 429, { error: { code: 429, message: "Rate limit exceeded: free-models-per-min.", metadata: { error_type: "rate_limit_exceeded" } } }, { "retry-after": "9" });
    expect(minute.c).toEqual({ failure: "throttle", scope: "pool", retryAfterMs: 9000 });
    expect(classify("openrouter", 403, { error: { code: 403, message: "Input was flagged by moderation", metadata: { error_type: "content_policy_violation" } } }).c.failure).toBe("caller");
  });

  it("OpenRouter: its unnamed X-RateLimit window is the day's when the reset is hours away, the minute's when it is near", () => {
    const a = adapterFor("openrouter");
    const at = Date.now();
    // free-models-per-day: 50 a day (1000 with credits) must never be learned as a per-minute limit.
    expect(a.rateInfo(new Headers({ "x-ratelimit-limit": "50", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(at + 5 * 3_600_000) }))).toEqual({
      limitRequestsDay: 50,
      remainingRequestsDay: 0,
    });
    expect(a.rateInfo(new Headers({ "x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(at + 30_000) }))).toEqual({
      limitRequestsMinute: 20,
      remainingRequestsMinute: 0,
    });
    // Without a reset the window is unknown: nothing is learned.
    expect(a.rateInfo(new Headers({ "x-ratelimit-limit": "50", "x-ratelimit-remaining": "0" }))).toBeUndefined();
  });

  it("NVIDIA: problem-details bodies and the concurrency message", () => {
    const { err, c } = classify("nvidia", 429, { status: 429, title: "Too Many Requests" });
    expect(err.message).toBe("Too Many Requests");
    expect(c.failure).toBe("throttle");
    expect(classify("nvidia", 500, { status: 500, title: "Internal Server Error", detail: "ResourceExhausted: Worker local total request limit reached (33/32)" }).c.failure).toBe("throttle");
  });

  it("Workers AI: envelope codes 3036/4006 are daily and account-wide", () => {
    const body = { success: false, errors: [{ code: 3036, message: "You have used up your daily free allocation of 10,000 neurons" }], messages: [], result: null };
    expect(classify("workers-ai", 429, body).c).toEqual({ failure: "daily", scope: "pool", retryAfterMs: undefined });
    const minute = classify("workers-ai", 429, { success: false, errors: [{ code: 3021, message: "rate limiting: inference request per min rate reached" }] }, { "retry-after": "1" });
    expect(minute.c).toEqual({ failure: "throttle", scope: "pool", retryAfterMs: 1000 });
  });

  it("Workers AI: a code about one model concerns that model alone; an account blocked concerns them all", () => {
    const envelope = (code: number, message: string) => ({ success: false, errors: [{ code, message }], messages: [], result: null });
    // Terms not accepted, a private model: refused like a key, for this model only.
    for (const code of [5016, 5018, 3041]) expect(classify("workers-ai", 403, envelope(code, "Model agreement not accepted")).c).toEqual({ failure: "auth", scope: "model", gone: true });
    // No such model (a 400), an invalid model id: its siblings may serve.
    expect(classify("workers-ai", 400, envelope(5007, "No such model @cf/x/y or task")).c).toEqual({ failure: "transient", scope: "model", gone: true });
    expect(classify("workers-ai", 404, envelope(3042, "Invalid model ID")).c).toEqual({ failure: "transient", scope: "model", gone: true });
    expect(classify("workers-ai", 403, envelope(3023, "Account blocked")).c).toEqual({ failure: "auth", scope: "model" });
    expect(classify("workers-ai", 400, envelope(5004, "Invalid data")).c.failure).toBe("caller");
  });

  it("a model the provider retired is no caller's mistake: Groq's 400 model_decommissioned", () => {
    const body = { error: { message: "The model `gemma2-9b-it` has been decommissioned and is no longer supported.", type: "invalid_request_error", code: "model_decommissioned" } };
    expect(classify("groq", 400, body).c).toEqual({ failure: "transient", scope: "model", gone: true });
  });

  it("SambaNova: 'Violated duration_s: 86400' is the daily cap", () => {
    expect(classify("sambanova", 429, { error: { message: "Request would exceed rate limit\nViolated duration_s: 86400, current usage: 196279, limit: 200000" } }).c.failure).toBe("daily");
  });

  it("separates the caller's mistakes from the provider's trouble", () => {
    expect(classify("openai", 400, { error: { message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error", code: "context_length_exceeded", param: "messages" } }).c.failure).toBe("context_length");
    expect(classify("openai", 400, { error: { message: "messages[0].content must be a string", type: "invalid_request_error" } }).c.failure).toBe("caller");
    expect(classify("openai", 400, { error: { message: "property 'foo' is unsupported" } }).c.failure).toBe("too_large");
    expect(classify("openai", 503, "upstream overloaded").c.failure).toBe("transient");
    expect(classify("openai", 401, { error: { message: "Invalid API Key" } }).c.failure).toBe("auth");
  });

  it("reads the limits an error body announces", () => {
    expect(classify("groq", 429, { error: { message: "Rate limit reached for model `x` on tokens per day (TPD): Limit 100000, Used 97050, Requested 3619. Please try again in 9m38.016s." } }).err.rate).toEqual({ limitTokensDay: 100000, remainingTokensDay: 2950 });
    const gemini = [{ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED", details: [{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", quotaValue: "20" }] }] } }];
    expect(classify("gemini", 429, gemini).err.rate).toEqual({ limitRequestsDay: 20, remainingRequestsDay: 0 });
    expect(classify("sambanova", 429, { error: { message: "Request would exceed rate limit\nViolated duration_s: 86400, current usage: 196279, limit: 200000" } }).err.rate).toEqual({ limitTokensDay: 200000, remainingTokensDay: 3721 });
  });
});
