// Reference paid prices (USD per million tokens): what the tokens served for free would have cost on a paid
// API for the same model. "Money saved" in the analytics is tokens × these prices. Each number has its source.

import type { ModelSpec, Tier } from "./types.ts";

export interface ReferencePrice {
  input: number;
  output: number;
  source: string;
}

/** By family alias (the same weights wherever they are hosted): Groq's paid list prices. */
const FAMILY: Record<string, ReferencePrice> = {
  "llama-3.3-70b": { input: 0.59, output: 0.79, source: "Groq paid price for llama-3.3-70b-versatile (aicost data_groq.rs; Mirascope PR #272)" },
  "llama-3.1-8b": { input: 0.05, output: 0.08, source: "Groq paid price for llama-3.1-8b-instant (aicost data_groq.rs)" },
  "gpt-oss-120b": { input: 0.15, output: 0.6, source: "Groq paid price for openai/gpt-oss-120b (Groq docs, per braintrust-proxy#925, 2026)" },
  "gpt-oss-20b": { input: 0.075, output: 0.3, source: "Groq paid price for openai/gpt-oss-20b (aicost data_groq.rs)" },
  "llama-4-scout": { input: 0.11, output: 0.34, source: "Groq paid price for llama-4-scout-17b-16e-instruct (aicost data_groq.rs)" },
};

/** By model id, where the paid price is the provider's own. */
const MODEL: Record<string, ReferencePrice> = {
  "gemini/gemini-2.5-flash": { input: 0.3, output: 2.5, source: "Gemini API paid tier (schlebek/ai-wish-generator v3.2.0 price list, 2026-04)" },
  "gemini/gemini-2.5-flash-lite": { input: 0.1, output: 0.4, source: "Gemini API paid tier (same list, 2026-04)" },
  "gemini/gemini-3-flash-preview": { input: 0.5, output: 3, source: "Gemini API paid tier (same list, 2026-04)" },
  "gemini/gemini-3.1-flash-lite-preview": { input: 0.25, output: 1.5, source: "Gemini API paid tier (same list, 2026-04)" },
};

/** Everything else is priced like the listed model of its size class (an estimate, and said so). */
const TIER: Record<Tier, ReferencePrice> = {
  large: { ...FAMILY["gpt-oss-120b"], source: "estimate: priced like gpt-oss-120b (large tier)" } as ReferencePrice,
  medium: { ...FAMILY["gpt-oss-20b"], source: "estimate: priced like gpt-oss-20b (medium tier)" } as ReferencePrice,
  small: { ...FAMILY["llama-3.1-8b"], source: "estimate: priced like llama-3.1-8b (small tier)" } as ReferencePrice,
};

export function referencePrice(m: Pick<ModelSpec, "id" | "family" | "tier">): ReferencePrice {
  return MODEL[m.id] ?? (m.family ? FAMILY[m.family] : undefined) ?? TIER[m.tier];
}

/** What these tokens would have cost at the reference price, in USD. */
export function moneySaved(m: Pick<ModelSpec, "id" | "family" | "tier">, tokensIn: number, tokensOut: number): number {
  const p = referencePrice(m);
  return (tokensIn * p.input + tokensOut * p.output) / 1_000_000;
}
