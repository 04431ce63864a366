// Integrity of the built-in catalog: ids, references between providers, pools and models, and numbers.
import { describe, it, expect } from "vitest";
import { CHAT_MODELS, EMBEDDING_MODELS } from "../shared/catalog/models.ts";
import { PROVIDERS } from "../shared/catalog/providers.ts";
import { LIMIT_NAMES } from "../shared/catalog/types.ts";
import type { Limits, ModelSpec } from "../shared/catalog/types.ts";

const ALL: readonly ModelSpec[] = [...CHAT_MODELS, ...EMBEDDING_MODELS];
const providerById = new Map(PROVIDERS.map((p) => [p.id, p]));

function isPositiveInt(n: unknown): boolean {
  return typeof n === "number" && Number.isInteger(n) && n > 0;
}

function badLimits(limits: Limits): string[] {
  return LIMIT_NAMES.filter((name) => limits[name] !== undefined && !isPositiveInt(limits[name]));
}

describe("providers", () => {
  it("has the eight built-in providers with unique ids", () => {
    const ids = PROVIDERS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(
      ["cerebras", "gemini", "groq", "nvidia", "openrouter", "sambanova", "voyage", "workers-ai"].sort(),
    );
  });

  it("gives every provider a base URL without a trailing slash and a source", () => {
    for (const p of PROVIDERS) {
      expect(p.baseUrl, p.id).toMatch(/^https:\/\/.+[^/]$/);
      expect(p.source.length, p.id).toBeGreaterThan(0);
      expect(p.keyEnv, p.id).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(p.baseUrlEnv, p.id).toMatch(/^[A-Z][A-Z0-9_]*_BASE_URL$/);
    }
  });

  it("uses time zones the runtime knows", () => {
    for (const p of PROVIDERS) {
      expect(() => new Intl.DateTimeFormat("en-US", { timeZone: p.dailyResetTimeZone }), p.id).not.toThrow();
    }
  });

  it("keeps pool ids unique, owned by their provider, with positive integer limits and a source", () => {
    const poolIds = PROVIDERS.flatMap((p) => (p.pools ?? []).map((pool) => pool.id));
    expect(new Set(poolIds).size).toBe(poolIds.length);
    for (const p of PROVIDERS) {
      for (const pool of p.pools ?? []) {
        expect(pool.provider, pool.id).toBe(p.id);
        expect(badLimits(pool.limits), pool.id).toEqual([]);
        expect(pool.source.length, pool.id).toBeGreaterThan(0);
      }
      for (const n of [p.defaultMaxTokens, p.capMaxTokens]) {
        if (n !== undefined) expect(isPositiveInt(n), p.id).toBe(true);
      }
    }
  });
});

describe("models", () => {
  it("has unique ids equal to provider/upstream", () => {
    const ids = ALL.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of ALL) expect(m.id).toBe(`${m.provider}/${m.upstream}`);
  });

  it("only names providers that exist", () => {
    for (const m of ALL) expect(providerById.has(m.provider), m.id).toBe(true);
  });

  it("only references pools of the model's own provider", () => {
    for (const m of ALL) {
      if (m.pool === undefined) continue;
      const pools = providerById.get(m.provider)?.pools ?? [];
      expect(pools.some((p) => p.id === m.pool), `${m.id} → ${m.pool}`).toBe(true);
    }
  });

  it("keeps chat and embedding lists apart", () => {
    for (const m of CHAT_MODELS) expect(m.kind, m.id).toBe("chat");
    for (const m of EMBEDDING_MODELS) expect(m.kind, m.id).toBe("embedding");
  });

  it("has at least 40 chat models and at least 2 on every chat provider", () => {
    expect(CHAT_MODELS.length).toBeGreaterThanOrEqual(40);
    for (const p of PROVIDERS) {
      if (p.id === "voyage") continue;
      const n = CHAT_MODELS.filter((m) => m.provider === p.id).length;
      expect(n, p.id).toBeGreaterThanOrEqual(2);
    }
  });

  it("uses positive integers for every number", () => {
    for (const m of ALL) {
      expect(badLimits(m.limits), m.id).toEqual([]);
      expect(isPositiveInt(m.context), `${m.id} context`).toBe(true);
      for (const n of [m.dimensions, m.maxBatch]) {
        if (n !== undefined) expect(isPositiveInt(n), m.id).toBe(true);
      }
    }
    // Embeddings produce no tokens, so their maxOutput is 0 by design.
    for (const m of CHAT_MODELS) {
      expect(isPositiveInt(m.maxOutput), `${m.id} maxOutput`).toBe(true);
      expect(m.maxOutput, `${m.id} maxOutput`).toBeLessThanOrEqual(m.context);
    }
    for (const m of EMBEDDING_MODELS) expect(m.maxOutput, m.id).toBe(0);
  });

  it("cites a source for limits and capabilities on every model", () => {
    for (const m of ALL) {
      expect(m.limitsSource.trim().length, m.id).toBeGreaterThan(0);
      expect(m.capsSource.trim().length, m.id).toBeGreaterThan(0);
    }
  });

  it("only claims json_schema where json_object is claimed too", () => {
    for (const m of ALL) if (m.jsonSchema) expect(m.json, m.id).toBe(true);
  });

  it("shares the main families across providers", () => {
    const hosts = new Map<string, Set<string>>();
    for (const m of ALL) {
      if (m.family === undefined) continue;
      expect(m.family, m.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
      const set = hosts.get(m.family) ?? new Set<string>();
      set.add(m.provider);
      hosts.set(m.family, set);
    }
    for (const [family, providers] of hosts) expect(providers.size, family).toBeGreaterThanOrEqual(1);
    const shared = [...hosts].filter(([, providers]) => providers.size >= 2).map(([family]) => family);
    expect(shared).toContain("llama-3.3-70b");
    expect(shared).toContain("gpt-oss-120b");
    expect(shared).toContain("bge-m3");
  });

  it("never mixes chat and embedding models in one family", () => {
    const kinds = new Map<string, Set<string>>();
    for (const m of ALL) {
      if (m.family === undefined) continue;
      const set = kinds.get(m.family) ?? new Set<string>();
      set.add(m.kind);
      kinds.set(m.family, set);
    }
    for (const [family, set] of kinds) expect(set.size, family).toBe(1);
  });

  it("gives every embedding model dimensions and a batch limit", () => {
    expect(EMBEDDING_MODELS.length).toBeGreaterThan(0);
    for (const m of EMBEDDING_MODELS) {
      expect(isPositiveInt(m.dimensions), m.id).toBe(true);
      expect(isPositiveInt(m.maxBatch), m.id).toBe(true);
    }
  });

  it("marks Gemma on the Gemini API as taking no system role", () => {
    const gemma = CHAT_MODELS.filter((m) => m.provider === "gemini" && m.upstream.startsWith("gemma-"));
    expect(gemma.length).toBeGreaterThan(0);
    for (const m of gemma) expect(m.noSystemRole, m.id).toBe(true);
  });
});
