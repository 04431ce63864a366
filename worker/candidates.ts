// Which provider-models may serve a request: resolve `model` / `models`, then filter by what the request needs.

import type { Catalog } from "../shared/catalog/index.ts";
import type { ModelSpec, PresetSpec, Tier } from "../shared/catalog/types.ts";
import { HttpError } from "./errors.ts";
import type { ChatRequest, JsonObject } from "./validate.ts";

export interface Needs {
  tools: boolean;
  vision: boolean;
  json: boolean;
  jsonSchema: boolean;
  /** estimated prompt tokens */
  promptTokens: number;
  /** the completion the caller asked for (each model gives at most its own max output) */
  maxTokens: number | undefined;
  /** n > 1 choices */
  multipleChoices: boolean;
}

export function needsOf(req: ChatRequest, promptTokens: number, images: number, maxTokens: number | undefined): Needs {
  const rf = req.response_format as JsonObject | undefined;
  const hasTools = Array.isArray(req.tools) && req.tools.length > 0 && req.tool_choice !== "none";
  // A conversation that already holds tool calls needs a model that understands them.
  const toolHistory = req.messages.some(
    (m) => m.role === "tool" || m.role === "function" || (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || m.function_call !== undefined,
  );
  return {
    tools: hasTools || toolHistory,
    vision: images > 0,
    json: rf?.type === "json_object",
    jsonSchema: rf?.type === "json_schema",
    promptTokens,
    maxTokens,
    multipleChoices: typeof req.n === "number" && req.n > 1,
  };
}

/** Candidates in preference groups: the auction ranks inside a group and moves on only when a group is spent. */
export interface CandidateSet {
  groups: ModelSpec[][];
  preset: PresetSpec;
}

const TIER_RANK: Record<Tier, number> = { small: 0, medium: 1, large: 2 };

export function fitsPreset(m: ModelSpec, p: PresetSpec): boolean {
  if (p.minTier && TIER_RANK[m.tier] < TIER_RANK[p.minTier]) return false;
  if (p.minContext && m.context < p.minContext) return false;
  for (const r of p.requires ?? []) if (!m[r]) return false;
  return true;
}

/** Why a model cannot take this request, or null when it can. */
export function unfit(m: ModelSpec, needs: Needs, supportsN: (m: ModelSpec) => boolean): string | null {
  if (needs.tools && !m.tools) return "does not support tools";
  if (needs.vision && !m.vision) return "does not accept images";
  if (needs.jsonSchema && !m.jsonSchema) return "does not support response_format json_schema";
  if (needs.json && !m.json) return "does not support response_format json_object";
  if (needs.multipleChoices && !supportsN(m)) return "does not support n > 1";
  const needed = needs.promptTokens + Math.min(needs.maxTokens ?? 0, m.maxOutput || Infinity);
  if (needed > m.context) return `context window of ${m.context} tokens is too small (about ${needed} needed)`;
  return null;
}

interface Resolved {
  models: ModelSpec[];
  preset?: PresetSpec;
  /** the caller named this exact model: a refusal should say why rather than fall back */
  exact: boolean;
}

function resolveName(catalog: Catalog, name: string): Resolved | null {
  const preset = catalog.presets.get(name);
  if (preset) {
    const models = catalog.models.filter((m) => m.kind === "chat" && fitsPreset(m, preset));
    return { models, preset, exact: false };
  }
  const exact = catalog.model(name);
  if (exact) return { models: [exact], exact: true };
  const family = catalog.families.get(name);
  if (family) return { models: [...family], exact: false };
  // A bare upstream name ("llama-3.3-70b-versatile") is accepted when it is unambiguous enough to mean that model.
  const byUpstream = catalog.models.filter((m) => m.upstream === name);
  if (byUpstream.length > 0) return { models: byUpstream, exact: byUpstream.length === 1 };
  return null;
}

interface Fit {
  group: ModelSpec[];
  /** the smallest context window in the group: prompts below it need no per-model check */
  minContext: number;
  preset: PresetSpec | undefined;
}

/** Per catalog: a model name and a request's capability needs → the models that fit (the common case, cached). */
const fits = new WeakMap<Catalog, Map<string, Fit | null>>();
const MAX_FITS = 2000;

function fastPath(catalog: Catalog, name: string, needs: Needs, supportsN: (m: ModelSpec) => boolean, kind: string): CandidateSet | null {
  let cache = fits.get(catalog);
  if (!cache) fits.set(catalog, (cache = new Map()));
  const key = `${kind}|${+needs.tools}${+needs.vision}${+needs.json}${+needs.jsonSchema}${+needs.multipleChoices}|${name}`;
  let fit = cache.get(key);
  if (fit === undefined) {
    const r = resolveName(catalog, name);
    const capsOnly: Needs = { ...needs, promptTokens: 0, maxTokens: undefined };
    const group = (r?.models ?? []).filter(
      (m) => m.kind === kind && catalog.providers.get(m.provider)?.live === true && unfit(m, capsOnly, supportsN) === null,
    );
    fit = group.length && r ? { group, minContext: Math.min(...group.map((m) => m.context)), preset: r.preset } : null;
    if (cache.size < MAX_FITS) cache.set(key, fit);
  }
  if (!fit || needs.promptTokens + (needs.maxTokens ?? 0) > fit.minContext) return null;
  return { groups: [fit.group], preset: fit.preset ?? (catalog.presets.get("auto") as PresetSpec) };
}

export function resolveCandidates(
  catalog: Catalog,
  req: ChatRequest,
  needs: Needs,
  supportsN: (m: ModelSpec) => boolean,
  kind: "chat" | "embedding" = "chat",
): CandidateSet {
  if (req.models === undefined || req.models === null) {
    const fast = fastPath(catalog, req.model, needs, supportsN, kind);
    if (fast) return fast;
  }
  // The general case (lists, refusals to explain, tight context windows): work it out in full.
  const names = [req.model, ...((req.models as string[] | undefined) ?? [])].filter((n, i, all) => all.indexOf(n) === i);
  const defaultPreset = catalog.presets.get("auto") as PresetSpec;
  let preset: PresetSpec | undefined;
  const groups: ModelSpec[][] = [];
  const seen = new Set<string>();
  const reasons: string[] = [];
  let contextOnly = true;
  for (const [i, name] of names.entries()) {
    const r = resolveName(catalog, name);
    if (!r) {
      throw new HttpError(400, `The model '${name.slice(0, 200)}' does not exist. Use "auto", an "auto:<preset>", a family alias or a provider/model id; GET /v1/models lists them.`, {
        param: i === 0 ? "model" : `models[${i - 1}]`,
        code: "model_not_found",
      });
    }
    preset ??= r.preset;
    const group: ModelSpec[] = [];
    for (const m of r.models) {
      if (seen.has(m.id)) continue;
      if (m.kind !== kind) {
        reasons.push(`${m.id} is ${m.kind === "embedding" ? "an embedding model" : "a chat model"}`);
        contextOnly = false;
        continue;
      }
      const provider = catalog.providers.get(m.provider);
      if (!provider?.live) {
        if (r.exact) {
          reasons.push(`${m.id}: provider '${m.provider}' is not configured (set ${provider?.keyEnv ?? "its key"})`);
          contextOnly = false;
        }
        continue;
      }
      const why = unfit(m, needs, supportsN);
      if (why) {
        if (!why.startsWith("context window")) contextOnly = false;
        if (r.exact || reasons.length < 5) reasons.push(`${m.id} ${why}`);
        continue;
      }
      seen.add(m.id);
      group.push(m);
    }
    if (group.length) groups.push(group);
  }
  if (groups.length === 0) {
    if (reasons.length > 0 && contextOnly) {
      throw new HttpError(400, `The prompt is too long for every model that could serve it: ${reasons.join("; ")}`, {
        param: "messages",
        code: "context_length_exceeded",
      });
    }
    if (reasons.length === 0) {
      throw new HttpError(503, "No provider that serves this model is configured. Set a provider key (see README) or run `npm start` for the demo.", {
        type: "service_unavailable",
        code: "no_provider_configured",
        headers: { "retry-after": "60" },
      });
    }
    throw new HttpError(400, `No configured model can serve this request: ${reasons.join("; ")}`, { param: "model", code: "model_not_available" });
  }
  return { groups, preset: preset ?? defaultPreset };
}
