// Groq: strict about unknown OpenAI fields; headers give RPD and TPM; daily 429s say "per day (TPD)/(RPD)".

import type { RateInfo } from "../../shared/actors.ts";
import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type ChatRequest, type JsonObject } from "../validate.ts";
import { goDuration, num, tryAgainIn } from "./headers.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { NormalizedError, Usage } from "./types.ts";

/** PROVIDERS.md §2: these give a 400 on Groq. */
const REJECTED = ["logprobs", "top_logprobs", "logit_bias", "metadata", "store", "n"];

export class GroqAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "groq";
  override readonly supportsN = false;
  protected override readonly rejected = REJECTED;

  protected override prepare(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean): JsonObject {
    const body = super.prepare(req, model, provider, stream);
    if (req.messages.some((m) => m.name !== undefined)) {
      body.messages = req.messages.map(({ name: _name, ...m }) => m) as JsonObject[];
    }
    return body;
  }

  /** "… on tokens per day (TPD): Limit 100000, Used 97050, Requested 3619" names the limit and what is left. */
  protected override refineError(err: NormalizedError): NormalizedError {
    const m = /per (minute|day) \((RPM|RPD|TPM|TPD)\): Limit (\d+), Used (\d+)/.exec(err.message);
    if (!m) return err;
    const limit = Number(m[3]);
    const left = Math.max(0, limit - Number(m[4]));
    const rate: RateInfo =
      m[2] === "RPM"
        ? { limitRequestsMinute: limit, remainingRequestsMinute: left }
        : m[2] === "RPD"
          ? { limitRequestsDay: limit, remainingRequestsDay: left }
          : m[2] === "TPM"
            ? { limitTokensMinute: limit, remainingTokensMinute: left }
            : { limitTokensDay: limit, remainingTokensDay: left };
    return { ...err, rate };
  }

  protected override isDaily(err: NormalizedError): boolean {
    return /per day|\(RPD\)|\(TPD\)/i.test(err.message);
  }

  /** Groq's daily allowance refills continuously; its "try again in 9m38s" is the real reset. */
  protected override dailyRetryMs(err: NormalizedError): number | undefined {
    return tryAgainIn(err.message);
  }

  override rateInfo(h: Headers): RateInfo | undefined {
    // x-ratelimit-*-requests are per DAY and *-tokens per MINUTE on Groq (PROVIDERS.md §2 header table).
    const info: RateInfo = {
      limitRequestsDay: num(h, "x-ratelimit-limit-requests"),
      remainingRequestsDay: num(h, "x-ratelimit-remaining-requests"),
      resetRequestsDayMs: goDuration(h.get("x-ratelimit-reset-requests")),
      limitTokensMinute: num(h, "x-ratelimit-limit-tokens"),
      remainingTokensMinute: num(h, "x-ratelimit-remaining-tokens"),
      resetTokensMinuteMs: goDuration(h.get("x-ratelimit-reset-tokens")),
    };
    return Object.values(info).some((v) => v !== undefined) ? info : undefined;
  }

  override usage(obj: JsonObject): Usage | undefined {
    const x = obj.x_groq;
    return super.usage(obj) ?? (isObject(x) ? super.usage(x) : undefined);
  }

  override streamError(chunk: JsonObject): NormalizedError | undefined {
    const x = chunk.x_groq;
    // `"error": null` is no error (as on the base adapter's top-level field).
    if (isObject(x) && x.error !== undefined && x.error !== null) {
      return this.normalizeError(502, JSON.stringify({ error: isObject(x.error) ? x.error : { message: String(x.error) } }));
    }
    return super.streamError(chunk);
  }
}
