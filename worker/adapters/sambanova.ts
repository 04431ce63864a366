// SambaNova: a narrow parameter set, "Violated duration_s: 86400" for the daily cap, RPM headers.

import type { RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import type { ChatRequest, JsonObject } from "../validate.ts";
import { num } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { NormalizedError } from "./types.ts";

/** The parameters known to work (LiteLLM's SambaNova list, PROVIDERS.md §5). */
const ACCEPTED = new Set([
  "model", "messages", "max_tokens", "response_format", "seed", "stop", "stream", "stream_options",
  "temperature", "top_p", "tool_choice", "tools", "user", "parallel_tool_calls",
]);

function epochResetMs(h: Headers, name: string, now: number): number | undefined {
  const v = num(h, name);
  if (v === undefined) return undefined;
  // A unix timestamp in seconds (PROVIDERS.md §5, [UNCONFIRMED]); small values are already a duration.
  return v > 1e9 ? Math.max(0, v * 1000 - now) : v * 1000;
}

export class SambaNovaAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "sambanova";
  override readonly supportsN = false;

  protected override readonly textOnlyContent = true;
  // The known-good list has max_tokens only (PROVIDERS.md §5).
  protected override readonly lengthField = "max_tokens";

  protected override prepare(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean): JsonObject {
    const body = super.prepare(req, model, provider, stream);
    for (const k of Object.keys(body)) if (!ACCEPTED.has(k)) delete body[k];
    return body;
  }

  /** "Violated duration_s: 86400, current usage: 196279, limit: 200000" is the daily token allowance. */
  protected override refineError(err: NormalizedError): NormalizedError {
    const m = /duration_s:\s*86400, current usage: (\d+), limit: (\d+)/.exec(err.message);
    if (!m) return err;
    const limit = Number(m[2]);
    return { ...err, rate: { limitTokensDay: limit, remainingTokensDay: Math.max(0, limit - Number(m[1])) } };
  }

  protected override isDaily(err: NormalizedError): boolean {
    return /duration_s:\s*86400/.test(err.message) || /per day/i.test(err.message);
  }

  override rateInfo(h: Headers): RateInfo | undefined {
    const now = Date.now();
    const info: RateInfo = {
      limitRequestsMinute: num(h, "x-ratelimit-limit-requests"),
      remainingRequestsMinute: num(h, "x-ratelimit-remaining-requests"),
      resetRequestsMinuteMs: epochResetMs(h, "x-ratelimit-reset-requests", now),
      limitRequestsDay: num(h, "x-ratelimit-limit-requests-day"),
      remainingRequestsDay: num(h, "x-ratelimit-remaining-requests-day"),
      resetRequestsDayMs: epochResetMs(h, "x-ratelimit-reset-requests-day", now),
    };
    return Object.values(info).some((v) => v !== undefined) ? info : undefined;
  }
}
