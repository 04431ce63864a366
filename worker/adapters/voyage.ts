// Voyage AI (embeddings only): output_dimension instead of dimensions, input_type, truncation, FastAPI {detail}
// errors, and usage with total_tokens only (PROVIDERS.md §8).

import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import type { JsonObject } from "../validate.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { EmbedInput, NormalizedError } from "./types.ts";

export class VoyageAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "voyage";

  protected override embedBody(e: EmbedInput, model: ModelSpec): JsonObject {
    // base64 (float32, as OpenAI's) is half the bytes of JSON numbers to move and parse; any caller format is
    // made from it.
    // Voyage cuts an input longer than the model's context and embeds the rest as if whole (`truncation` defaults to
    // true): refused instead, the caller hears of it, or another copy with room serves it.
    const body: JsonObject = { model: model.upstream, input: e.input, encoding_format: "base64", truncation: false };
    if (e.inputType !== undefined) body.input_type = e.inputType;
    if (e.dimensions !== undefined) body.output_dimension = e.dimensions;
    return body;
  }

  /** "You have used up your free tokens for this model" lasts beyond a minute; treat it as the daily kind. */
  protected override isDaily(err: NormalizedError): boolean {
    return /used up your free tokens|per day|daily/i.test(err.message);
  }
}
