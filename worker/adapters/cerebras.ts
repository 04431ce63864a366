// Cerebras: flat error bodies, minute/day rate-limit headers, tokens reserved up front, some OpenAI fields rejected.

import type { RateInfo } from "../../shared/actors.ts";
import type { Dialect } from "../../shared/catalog/types.ts";
import { num, secondsMs } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { Classified, NormalizedError } from "./types.ts";

type Window = "minute" | "hour" | "day";

/** The longest reset (ms) among the buckets of these windows that the headers say are spent (remaining 0). */
function spentResetMs(h: Headers, windows: readonly Window[]): number | undefined {
  let wait: number | undefined;
  for (const w of windows) {
    for (const kind of ["requests", "tokens"] as const) {
      if (num(h, `x-ratelimit-remaining-${kind}-${w}`) !== 0) continue;
      const reset = secondsMs(h, `x-ratelimit-reset-${kind}-${w}`);
      if (reset !== undefined) wait = Math.max(wait ?? 0, reset);
    }
  }
  return wait;
}

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

  /** The reset of the day bucket that ran out (either may; PROVIDERS.md §12.2), else whichever the headers give. */
  protected override dailyRetryMs(_err: NormalizedError, h: Headers): number | undefined {
    return spentResetMs(h, ["day"]) ?? secondsMs(h, "x-ratelimit-reset-requests-day") ?? secondsMs(h, "x-ratelimit-reset-tokens-day");
  }

  /**
   * A throttle without Retry-After lasts until the spent minute or hour bucket resets (x-ratelimit-reset-*-{minute,hour},
   * PROVIDERS.md §4), not the default few seconds: an hour bucket at zero would be probed every 5 s for up to an hour.
   */
  override classify(err: NormalizedError, h: Headers, now: number): Classified {
    const c = super.classify(err, h, now);
    if (c.failure !== "throttle" || c.retryAfterMs !== undefined) return c;
    const wait = spentResetMs(h, ["minute", "hour"]);
    return wait === undefined ? c : { ...c, retryAfterMs: wait };
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
