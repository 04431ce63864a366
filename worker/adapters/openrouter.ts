// OpenRouter: numeric error codes, account-wide free allowance, 402 for credit trouble, keep-alive comments.

import type { RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect } from "../../shared/catalog/types.ts";
import { isObject, type JsonObject } from "../validate.ts";
import { num } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { NormalizedError } from "./types.ts";

export class OpenRouterAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "openrouter";
  override readonly supportsN = false;

  protected override headers(provider: ResolvedProvider): Record<string, string> {
    // Attribution headers are optional; they name the app, never the caller.
    return { ...super.headers(provider), "x-openrouter-title": "freeway" };
  }

  protected override refineError(err: NormalizedError, _body: JsonObject, e: JsonObject): NormalizedError {
    const meta = e.metadata;
    const errorType = isObject(meta) && typeof meta.error_type === "string" ? meta.error_type : null;
    return { ...err, type: err.type ?? errorType, code: err.code ?? errorType, providerCode: errorType ?? err.providerCode };
  }

  protected override isDaily(err: NormalizedError, h: Headers): boolean {
    if (/per-day|per day|free-models-per-day/i.test(err.message)) return true;
    // A 429 whose X-RateLimit-Reset lies over a minute away is the daily allowance, not the minute one.
    const reset = num(h, "x-ratelimit-reset");
    return num(h, "x-ratelimit-remaining") === 0 && reset !== undefined && reset - Date.now() > 65_000;
  }

  protected override dailyRetryMs(_err: NormalizedError, h: Headers, now: number): number | undefined {
    const reset = num(h, "x-ratelimit-reset");
    return reset !== undefined && reset > now ? reset - now : undefined;
  }

  /** "free-models-per-min/day" is the account-wide :free allowance; other 429s come from one upstream host. */
  protected override scopeOf(err: NormalizedError, daily: boolean): "model" | "pool" {
    return daily || /free-models-per/i.test(err.message) ? "pool" : "model";
  }

  override rateInfo(h: Headers): RateInfo | undefined {
    const limit = num(h, "x-ratelimit-limit");
    const remaining = num(h, "x-ratelimit-remaining");
    const reset = num(h, "x-ratelimit-reset");
    if ((limit === undefined && remaining === undefined) || reset === undefined) return undefined;
    // Only sent on 429s, and without naming the window: as in isDaily, a reset over a minute away is the day's
    // (free-models-per-day: 50, or 1000 with credits), which must not be learned as a per-minute limit.
    return reset - Date.now() > 65_000
      ? { limitRequestsDay: limit, remainingRequestsDay: remaining }
      : { limitRequestsMinute: limit, remainingRequestsMinute: remaining };
  }
}
