// The catalog resolved against the settings: which providers are live, their URLs, custom providers, aliases.

import { CHAT_MODELS, EMBEDDING_MODELS } from "./models.ts";
import { PRESETS } from "./presets.ts";
import { PROVIDERS } from "./providers.ts";
import { type CustomProviderInput, LIMIT_NAMES, type Limits, type ModelSpec, type PoolSpec, type PresetSpec, type ProviderSpec } from "./types.ts";

export type { CustomProviderInput, Limits, ModelSpec, PoolSpec, PresetSpec, ProviderSpec } from "./types.ts";

/** Settings are plain strings in the environment; bindings and other values are ignored here. */
export type Settings = Readonly<Record<string, unknown>>;

export interface ResolvedProvider extends ProviderSpec {
  /** its key (and other required settings) are present */
  live: boolean;
  /** the OpenAI-compatible root actually used */
  url: string;
  /** secret: only the upstream call may read it */
  key: string | undefined;
  custom: boolean;
  /** custom provider with models "*": any model name passes through */
  wildcard: boolean;
}

export interface Catalog {
  providers: ReadonlyMap<string, ResolvedProvider>;
  /** every listed model, built-in and custom */
  models: readonly ModelSpec[];
  pools: ReadonlyMap<string, PoolSpec>;
  /** family alias → its hosts */
  families: ReadonlyMap<string, readonly ModelSpec[]>;
  presets: ReadonlyMap<string, PresetSpec>;
  /** a model by id, including any name under a wildcard custom provider */
  model(id: string): ModelSpec | undefined;
  /** problems with the settings (bad CUSTOM_PROVIDERS), shown on /health and the status page */
  problems: readonly string[];
}

/** How a provider's daily allowance comes back, as its actors are told (shared/actors.ts `Need`). */
export function dailyRule(p: ProviderSpec | undefined): { timeZone: string; rolling?: true } {
  const timeZone = p?.dailyResetTimeZone ?? "UTC";
  return p?.dailyRefill === "rolling" ? { timeZone, rolling: true } : { timeZone };
}

function str(settings: Settings, name: string): string | undefined {
  const v = settings[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

function resolveBuiltin(p: ProviderSpec, settings: Settings): ResolvedProvider {
  const key = str(settings, p.keyEnv);
  const live = key !== undefined && (p.requiresEnv ?? []).every((n) => str(settings, n) !== undefined);
  const base = str(settings, p.baseUrlEnv) ?? p.baseUrl;
  const url = base.replace("{CLOUDFLARE_ACCOUNT_ID}", str(settings, "CLOUDFLARE_ACCOUNT_ID") ?? "{CLOUDFLARE_ACCOUNT_ID}").replace(/\/+$/, "");
  return { ...p, live, url, key, custom: false, wildcard: false };
}

const CUSTOM_ID = /^[a-z0-9][a-z0-9._-]{0,39}$/;

/** Defaults for a custom model whose capabilities the operator did not spell out. */
function customModel(provider: string, input: CustomProviderInput, m: string | (Partial<ModelSpec> & { upstream: string })): ModelSpec {
  const o = typeof m === "string" ? { upstream: m } : m;
  return {
    kind: "chat",
    tier: "medium",
    context: 32_768,
    maxOutput: 4096,
    tools: true,
    json: true,
    jsonSchema: true,
    vision: false,
    reasoning: false,
    limitsSource: "CUSTOM_PROVIDERS setting",
    capsSource: "CUSTOM_PROVIDERS setting (unspecified capabilities assumed)",
    ...o,
    limits: { ...input.limits, ...o.limits },
    id: `${provider}/${o.upstream}`,
    provider,
  };
}

/** A custom model's fields that count something: each must be a whole number of at least 1. */
const COUNT_FIELDS = ["context", "maxOutput", "maxBatch", "dimensions"] as const;

/** The first of `fields` in `o` that is set but no whole number of at least 1, named with what it must be. */
function badCounts(o: unknown, fields: readonly string[], prefix = ""): string | null {
  if (o === undefined || o === null) return null;
  if (typeof o !== "object") return `${prefix.replace(/\.$/, "") || "it"} must be an object`;
  for (const f of fields) {
    const v = (o as Record<string, unknown>)[f];
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 1)) return `${prefix}${f} must be a whole number of at least 1`;
  }
  return null;
}

interface ParsedCustom {
  providers: ResolvedProvider[];
  models: ModelSpec[];
  /** each wildcard provider's settings, which the models made up under it take (their limits above all) */
  wildcards: Map<string, CustomProviderInput>;
}

function parseCustom(raw: string | undefined, problems: string[]): ParsedCustom {
  const providers: ResolvedProvider[] = [];
  const models: ModelSpec[] = [];
  const wildcards = new Map<string, CustomProviderInput>();
  if (!raw) return { providers, models, wildcards };
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    problems.push("CUSTOM_PROVIDERS is not valid JSON");
    return { providers, models, wildcards };
  }
  if (!Array.isArray(list)) {
    problems.push("CUSTOM_PROVIDERS must be a JSON array of providers");
    return { providers, models, wildcards };
  }
  for (const [i, item] of list.entries()) {
    const p = item as Partial<CustomProviderInput> & { apiKeyEnv?: string };
    if (!p || typeof p !== "object" || typeof p.id !== "string" || !CUSTOM_ID.test(p.id)) {
      problems.push(`CUSTOM_PROVIDERS[${i}].id must be a lowercase name (letters, digits, . _ -)`);
      continue;
    }
    if (PROVIDERS.some((b) => b.id === p.id)) {
      problems.push(`CUSTOM_PROVIDERS[${i}].id "${p.id}" is a built-in provider`);
      continue;
    }
    if (typeof p.baseUrl !== "string" || !/^https?:\/\//.test(p.baseUrl)) {
      problems.push(`CUSTOM_PROVIDERS[${i}].baseUrl must be an http(s) URL`);
      continue;
    }
    const wildcard = p.models === "*";
    if (!wildcard && !Array.isArray(p.models)) {
      problems.push(`CUSTOM_PROVIDERS[${i}].models must be a list of model names or "*"`);
      continue;
    }
    const input = p as CustomProviderInput;
    providers.push({
      id: p.id,
      name: p.id,
      dialect: "openai",
      baseUrl: p.baseUrl,
      baseUrlEnv: "CUSTOM_PROVIDERS",
      keyEnv: "CUSTOM_PROVIDERS",
      dailyResetTimeZone: "UTC",
      prefill: p.prefill === true,
      prefillSource: "CUSTOM_PROVIDERS setting (prefill: true|false)",
      source: "CUSTOM_PROVIDERS setting",
      live: true,
      url: p.baseUrl.replace(/\/+$/, ""),
      key: typeof p.apiKey === "string" && p.apiKey !== "" ? p.apiKey : undefined,
      custom: true,
      wildcard,
    });
    const limitsProblem = badCounts(p.limits, LIMIT_NAMES);
    if (limitsProblem) problems.push(`CUSTOM_PROVIDERS[${i}].limits.${limitsProblem}`);
    if (wildcard) wildcards.set(p.id, limitsProblem ? { ...input, limits: {} } : input);
    if (Array.isArray(p.models)) {
      for (const m of p.models) {
        if (typeof m === "string" || (m && typeof m === "object" && typeof m.upstream === "string")) {
          const problem = typeof m === "string" ? null : (badCounts(m, COUNT_FIELDS) ?? badCounts(m.limits, LIMIT_NAMES, "limits."));
          if (problem && typeof m !== "string") {
            problems.push(`CUSTOM_PROVIDERS[${i}] model "${m.upstream}": ${problem} (the model is left out)`);
            continue;
          }
          models.push(customModel(p.id, limitsProblem ? { ...input, limits: {} } : input, m));
        } else {
          problems.push(`CUSTOM_PROVIDERS[${i}].models has an entry that is neither a name nor an object with "upstream"`);
        }
      }
    }
  }
  return { providers, models, wildcards };
}

function build(settings: Settings): Catalog {
  const problems: string[] = [];
  const providers = new Map<string, ResolvedProvider>();
  const pools = new Map<string, PoolSpec>();
  for (const p of PROVIDERS) {
    providers.set(p.id, resolveBuiltin(p, settings));
    for (const pool of p.pools ?? []) pools.set(pool.id, pool);
  }
  const custom = parseCustom(str(settings, "CUSTOM_PROVIDERS"), problems);
  for (const p of custom.providers) providers.set(p.id, p);
  const models = [...CHAT_MODELS, ...EMBEDDING_MODELS, ...custom.models];
  const byId = new Map(models.map((m) => [m.id, m]));
  const families = new Map<string, ModelSpec[]>();
  for (const m of models) {
    if (!m.family) continue;
    const list = families.get(m.family) ?? [];
    list.push(m);
    families.set(m.family, list);
  }
  const wildcardCache = new Map<string, ModelSpec>();
  return {
    providers,
    models,
    pools,
    families,
    presets: new Map(PRESETS.map((p) => [p.id, p])),
    problems,
    model(id: string): ModelSpec | undefined {
      const known = byId.get(id);
      if (known) return known;
      const slash = id.indexOf("/");
      if (slash <= 0 || slash === id.length - 1) return undefined;
      const provider = providers.get(id.slice(0, slash));
      if (!provider?.wildcard) return undefined;
      let m = wildcardCache.get(id);
      if (!m) {
        m = customModel(provider.id, custom.wildcards.get(provider.id) ?? { id: provider.id, baseUrl: provider.url, models: "*" }, id.slice(slash + 1));
        if (wildcardCache.size < 1000) wildcardCache.set(id, m);
      }
      return m;
    },
  };
}

const cache = new WeakMap<object, Catalog>();

/** The catalog for these settings, built once per settings object (the Worker's env: once per isolate). */
export function catalogFor(settings: Settings): Catalog {
  let catalog = cache.get(settings);
  if (!catalog) {
    catalog = build(settings);
    cache.set(settings, catalog);
  }
  return catalog;
}

/** Effective limits: catalog defaults under what the provider taught us under the operator's overrides. */
export function mergeLimits(...layers: Array<Limits | undefined>): Limits {
  const out: Limits = {};
  for (const l of layers) {
    if (!l) continue;
    for (const [k, v] of Object.entries(l) as Array<[keyof Limits, number | null | undefined]>) {
      if (v === null) delete out[k];
      else if (v !== undefined) out[k] = v;
    }
  }
  return out;
}
