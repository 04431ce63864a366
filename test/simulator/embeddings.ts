// Embeddings: request checks per dialect and deterministic unit vectors seeded by (model, text).

import type { Dialect, ModelSpec } from "../../shared/catalog/types.ts";
import { estimateTokens } from "./answer.ts";
import type { SimError } from "./dialects.ts";
import { invalidRequest } from "./dialects.ts";
import { hash32, seededRandom } from "./hash.ts";
import type { JsonObject } from "./util.ts";

export interface EmbedPlan {
  inputs: string[];
  dims: number;
  base64: boolean;
  tokens: number;
}

const VOYAGE_DIMS = [256, 512, 1024, 2048];
const DEFAULT_DIMS = 1024;
const DEFAULT_MAX_BATCH = 2048;

/** The vector for one text: the first `dims` values of a seeded stream, normalised, so a shorter one is an MRL cut. */
export function embedVector(model: string, text: string, dims: number): number[] {
  const next = seededRandom(hash32(`${model}\u0000${text}`));
  const v: number[] = [];
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = next() * 2 - 1;
    v.push(x);
    norm += x * x;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
  return v.map((x) => x * scale);
}

/** `encoding_format: "base64"`: little-endian float32 bytes, base64. */
export function vectorToBase64(v: readonly number[]): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  v.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function planEmbeddings(dialect: Dialect, body: JsonObject, model: ModelSpec): EmbedPlan | SimError {
  const raw = body["input"];
  const inputs = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : undefined;
  if (!inputs || inputs.length === 0 || !inputs.every((x): x is string => typeof x === "string")) {
    return invalidRequest(dialect, "'input' must be a non-empty string or a non-empty array of strings", "input");
  }
  if (inputs.some((x) => x === "")) return invalidRequest(dialect, "'input' cannot contain empty strings", "input");
  const maxBatch = model.maxBatch ?? DEFAULT_MAX_BATCH;
  if (inputs.length > maxBatch) {
    return invalidRequest(dialect, `The batch size ${inputs.length} exceeds the limit of ${maxBatch} inputs for ${model.upstream}.`, "input");
  }
  const format = body["encoding_format"];
  if (format !== undefined && format !== null && format !== "float" && format !== "base64") {
    return invalidRequest(dialect, "'encoding_format' must be 'float' or 'base64'", "encoding_format");
  }
  const native = model.dimensions ?? DEFAULT_DIMS;
  let dims = native;

  if (dialect === "voyage") {
    // Voyage names it output_dimension and ignores OpenAI's `dimensions` (PROVIDERS.md §8).
    const od = body["output_dimension"];
    if (od !== undefined && od !== null) {
      if (typeof od !== "number" || !VOYAGE_DIMS.includes(od)) {
        return invalidRequest(dialect, `output_dimension must be one of ${VOYAGE_DIMS.join(", ")}`, "output_dimension");
      }
      dims = od;
    }
    const it = body["input_type"];
    if (it !== undefined && it !== null && it !== "query" && it !== "document") {
      return invalidRequest(dialect, "input_type must be null, 'query' or 'document'", "input_type");
    }
    // `truncation` (default true) cuts an input longer than the context and embeds the rest, saying nothing; false
    // refuses it (PROVIDERS.md §8; the wording of the refusal is the simulator's own).
    const truncation = body["truncation"];
    if (truncation !== undefined && truncation !== null && typeof truncation !== "boolean") return invalidRequest(dialect, "truncation must be a boolean", "truncation");
    for (const [i, text] of inputs.entries()) {
      if (estimateTokens(text) <= model.context) continue;
      if (truncation === false) {
        return invalidRequest(dialect, `Input at index ${i} has ${estimateTokens(text)} tokens, more than the maximum context length of ${model.context} tokens of ${model.upstream}.`, "input");
      }
      inputs[i] = text.slice(0, model.context * 4);
    }
  } else if (dialect === "nvidia") {
    const it = body["input_type"];
    if (model.upstream.includes("nv-embedqa") && (it === undefined || it === null)) {
      return invalidRequest(dialect, "'input_type' parameter is required for asymmetric models", "input_type");
    }
    if (it !== undefined && it !== null && it !== "query" && it !== "passage") {
      return invalidRequest(dialect, "'input_type' must be 'query' or 'passage'", "input_type");
    }
  }
  if (dialect === "gemini" || dialect === "nvidia" || dialect === "openai") {
    const d = body["dimensions"];
    if (d !== undefined && d !== null) {
      const max = dialect === "openai" ? 4096 : native;
      if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > max) {
        return invalidRequest(dialect, `'dimensions' must be an integer between 1 and ${max}`, "dimensions");
      }
      dims = d;
    }
  }
  const tokens = inputs.reduce((n, s) => n + estimateTokens(s), 0);
  return { inputs, dims, base64: format === "base64", tokens };
}

/** What seeds a model's vectors: its family when it has one (identical weights at every host give identical vectors). */
export function vectorSeed(model: ModelSpec): string {
  return model.family ?? model.upstream;
}

export function embeddingBody(dialect: Dialect, model: ModelSpec, plan: EmbedPlan): JsonObject {
  const data = plan.inputs.map((text, index) => {
    const v = embedVector(vectorSeed(model), text, plan.dims);
    return { object: "embedding", index, embedding: plan.base64 ? vectorToBase64(v) : v };
  });
  // Voyage reports total_tokens only (PROVIDERS.md §8).
  const usage = dialect === "voyage" ? { total_tokens: plan.tokens } : { prompt_tokens: plan.tokens, total_tokens: plan.tokens };
  return { object: "list", data, model: model.upstream, usage };
}

export function isEmbedPlan(p: EmbedPlan | SimError): p is EmbedPlan {
  return "inputs" in p;
}

/** Gemini's native batchEmbedContents answer: values only, no usage (PROVIDERS.md §3b). */
export function nativeEmbeddingBody(model: ModelSpec, plan: EmbedPlan): JsonObject {
  return { embeddings: plan.inputs.map((text) => ({ values: embedVector(vectorSeed(model), text, plan.dims) })) };
}
