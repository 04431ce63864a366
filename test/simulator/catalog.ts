// The simulator's view of the shared catalog: which models each fake provider serves, with which limits.

import { CHAT_MODELS, EMBEDDING_MODELS } from "../../shared/catalog/models.ts";
import { PROVIDERS } from "../../shared/catalog/providers.ts";
import type { ModelSpec, PoolSpec } from "../../shared/catalog/types.ts";

const BY_ID = new Map<string, ModelSpec>();
for (const m of [...CHAT_MODELS, ...EMBEDDING_MODELS]) BY_ID.set(`${m.provider}/${m.upstream}`, m);

const POOLS = new Map<string, PoolSpec>();
for (const p of PROVIDERS) for (const pool of p.pools ?? []) POOLS.set(pool.id, pool);

/** The generic `openai` mount serves any name; these stand in for a catalog entry. */
function genericModel(upstream: string, kind: "chat" | "embedding"): ModelSpec {
  return {
    id: `openai/${upstream}`,
    provider: "openai",
    upstream,
    kind,
    tier: "medium",
    context: 131_072,
    maxOutput: 32_768,
    tools: true,
    json: true,
    jsonSchema: true,
    vision: false,
    reasoning: false,
    limits: {},
    ...(kind === "embedding" ? { dimensions: 1536, maxBatch: 2048 } : {}),
    limitsSource: "simulator generic mount",
    capsSource: "simulator generic mount",
  };
}

/** The catalog model a provider serves under this upstream name (any name on the generic mount). */
export function findModel(provider: string, upstream: string, kind: "chat" | "embedding"): ModelSpec | undefined {
  if (provider === "openai") return genericModel(upstream, kind);
  return BY_ID.get(`${provider}/${upstream}`);
}

/** Whether a provider continues an assistant prefill (the catalog's `prefill`; the generic mount does). */
export function acceptsPrefill(provider: string): boolean {
  if (provider === "openai") return true;
  return PROVIDERS.find((p) => p.id === provider)?.prefill ?? false;
}

/** Whether a provider's daily allowance comes back continuously (the catalog's `dailyRefill`). */
export function rollingDay(provider: string): boolean {
  return PROVIDERS.find((p) => p.id === provider)?.dailyRefill === "rolling";
}

export function modelsOf(provider: string): ModelSpec[] {
  return [...BY_ID.values()].filter((m) => m.provider === provider);
}

export function poolSpec(id: string): PoolSpec | undefined {
  return POOLS.get(id);
}

export function isPoolId(id: string): boolean {
  return POOLS.has(id);
}
