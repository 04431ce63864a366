// NVIDIA NIM: problem-details errors, string-only content on some models, structured output through nvext.

import type { ResolvedProvider } from "../../shared/catalog/index.ts";
import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { isObject, type ChatRequest, type JsonObject } from "../validate.ts";
import { OpenAIAdapter } from "./openai.ts";
import type { EmbedInput, NormalizedError } from "./types.ts";

export class NvidiaAdapter extends OpenAIAdapter {
  override readonly dialect: Dialect = "nvidia";
  override readonly supportsN = false;
  // Some NIM models take string content only (PROVIDERS.md §6, QuantumNous/new-api#6619).
  protected override readonly textOnlyContent = true;
  // LiteLLM maps max_completion_tokens to max_tokens for NIM (PROVIDERS.md §6).
  protected override readonly lengthField = "max_tokens";
  protected override readonly rejected = ["logit_bias", "logprobs", "top_logprobs", "n", "store", "metadata"];

  protected override prepare(req: ChatRequest, model: ModelSpec, provider: ResolvedProvider, stream: boolean): JsonObject {
    const body = super.prepare(req, model, provider, stream);
    // NIM recommends nvext.guided_json over response_format json_schema (PROVIDERS.md §6).
    const rf = req.response_format;
    if (isObject(rf) && rf.type === "json_schema" && isObject(rf.json_schema) && isObject(rf.json_schema.schema)) {
      body.nvext = { guided_json: rf.json_schema.schema };
      delete body.response_format;
    }
    return body;
  }

  /**
   * NIM's asymmetric models refuse a request without input_type (query|passage), so one is always sent;
   * "query" when the caller gives none, the same for every batch so a request never mixes the two (§6, §12).
   */
  protected override embedBody(e: EmbedInput, model: ModelSpec): JsonObject {
    const body: JsonObject = { model: model.upstream, input: e.input, input_type: e.inputType === "document" ? "passage" : "query", encoding_format: "float" };
    if (e.dimensions !== undefined) body.dimensions = e.dimensions;
    const truncate = e.extra.truncate;
    if (truncate === "NONE" || truncate === "START" || truncate === "END") body.truncate = truncate;
    return body;
  }

  /** "Worker local total request limit reached (33/32)" is a concurrency throttle, not an outage. */
  protected override refineError(err: NormalizedError): NormalizedError {
    if (/ResourceExhausted|request limit reached/i.test(err.message)) return { ...err, status: 429 };
    return err;
  }

  protected override isDaily(): boolean {
    return false; // no daily cap documented (PROVIDERS.md §6)
  }
}
