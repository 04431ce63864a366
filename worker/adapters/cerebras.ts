// Cerebras: flat error bodies, minute/day rate-limit headers, tokens reserved up front, some OpenAI fields rejected.

import type { RateInfo } from "../../shared/actors.ts";
import type { Dialect } from "../../shared/catalog/types.ts";
import { num, secondsMs } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { NormalizedError } from "./types.ts";

/** Fields an older compat page lists as 400s (PROVIDERS.md §4); stripped since rejection is unconfirmed either way. */
const REJECTED = ["frequency_penalty", "presence_penalty", "logit_bias", "parallel_tool_calls", "service_tier"];

export class CerebrasAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "cerebras";
  protected override readonly rejected = REJECTED;
  protected override readonly textOnlyContent = true;
  // Cerebras reserves max_completion_tokens (16,384 when absent) against TPM before running: always send one.
  protected override readonly lengthField = "max_completion_tokens";
  protected override readonly developerAsSystem = true;

  protected override isDaily(err: NormalizedError, h: Headers): boolean {
    return num(h, "x-ratelimit-remaining-requests-day") === 0 || num(h, "x-ratelimit-remaining-tokens-day") === 0 || /per day/i.test(err.message);
  }

  protected override dailyRetryMs(_err: NormalizedError, h: Headers): number | undefined {
    return secondsMs(h, "x-ratelimit-reset-requests-day") ?? secondsMs(h, "x-ratelimit-reset-tokens-day");
  }

  override rateInfo(h: Headers): RateInfo | undefined {
    const info: RateInfo = {
      limitRequestsDay: num(h, "x-ratelimit-limit-requests-day"),
      remainingRequestsDay: num(h, "x-ratelimit-remaining-requests-day"),
      resetRequestsDayMs: secondsMs(h, "x-ratelimit-reset-requests-day"),
      limitRequestsMinute: num(h, "x-ratelimit-limit-requests-minute"),
      remainingRequestsMinute: num(h, "x-ratelimit-remaining-requests-minute"),
      resetRequestsMinuteMs: secondsMs(h, "x-ratelimit-reset-requests-minute"),
      limitTokensMinute: num(h, "x-ratelimit-limit-tokens-minute"),
      remainingTokensMinute: num(h, "x-ratelimit-remaining-tokens-minute"),
      resetTokensMinuteMs: secondsMs(h, "x-ratelimit-reset-tokens-minute"),
      limitTokensDay: num(h, "x-ratelimit-limit-tokens-day"),
      remainingTokensDay: num(h, "x-ratelimit-remaining-tokens-day"),
      resetTokensDayMs: secondsMs(h, "x-ratelimit-reset-tokens-day"),
    };
    return Object.values(info).some((v) => v !== undefined) ? info : undefined;
  }
}
