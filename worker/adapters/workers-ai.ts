// Cloudflare Workers AI (OpenAI-compatible REST): envelope errors with numeric codes, a silent 256-token default.

import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type JsonObject } from "../validate.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { EmbedInput, NormalizedError } from "./types.ts";

/** 3036 (docs) and 4006 (observed): the account's daily neurons are gone until 00:00 UTC (PROVIDERS.md §9d). */
const DAILY_CODES = new Set(["3036", "4006"]);
/**
 * Codes about one model that the account cannot use now (PROVIDERS.md §9d): no such model (5007, 400), an invalid
 * model id (3042, 404), a private model (5018 / 3041, 403), its terms not accepted (5016, 403). Only 3023 (account
 * blocked) concerns the whole account.
 */
const NOT_SERVED_CODES = new Set(["5007", "3042", "5018", "3041", "5016"]);

export class WorkersAIAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "workers-ai";
  override readonly supportsN = false;
  protected override readonly textOnlyContent = true;
  // Its default is 256 tokens: the caller's limit goes where it is read (PROVIDERS.md §9a, §12.4).
  protected override readonly lengthField = "max_tokens";
  protected override readonly rejected = ["n", "logit_bias", "logprobs", "top_logprobs", "store", "metadata"];

  protected override refineError(err: NormalizedError, body: JsonObject): NormalizedError {
    const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
    if (isObject(first)) {
      return {
        ...err,
        message: typeof first.message === "string" ? first.message : err.message,
        providerCode: first.code !== undefined ? String(first.code) : err.providerCode,
      };
    }
    if (body.internalCode !== undefined) return { ...err, providerCode: String(body.internalCode) };
    // The binding's thrown form: "4006: you have used up your daily free allocation…"
    const m = /^(\d{4}):/.exec(err.message);
    return m ? { ...err, providerCode: m[1] ?? null } : err;
  }

  /** The compat endpoint documents model and input only (no dimensions, no base64), so only those are sent. */
  protected override embedBody(e: EmbedInput, model: ModelSpec): JsonObject {
    return { model: model.upstream, input: e.input };
  }

  protected override notServed(err: NormalizedError): boolean {
    return NOT_SERVED_CODES.has(err.providerCode ?? "") || super.notServed(err);
  }

  protected override isDaily(err: NormalizedError): boolean {
    return DAILY_CODES.has(err.providerCode ?? "") || /daily free allocation/i.test(err.message);
  }

  /** Neurons and the per-task request limits are account-wide. */
  protected override scopeOf(err: NormalizedError, daily: boolean): "model" | "pool" {
    return daily || err.providerCode === "3021" ? "pool" : "model";
  }
}
