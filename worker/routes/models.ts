// GET /v1/models: the OpenAI list shape, plus presets, family aliases, capabilities and live status.

import { catalogFor } from "../../shared/catalog/index.ts";
import type { ModelSpec } from "../../shared/catalog/types.ts";
import { remembered } from "../auction.ts";
import type { Env } from "../env.ts";

function state(m: ModelSpec, now: number): { state: string; cooldown_until: string | null; reason: string | null } {
  const s = remembered(m.id);
  if (!s) return { state: "ready", cooldown_until: null, reason: null };
  if (s.disabled) return { state: "disabled", cooldown_until: null, reason: null };
  if (s.cooldownUntil > now) return { state: "cooling_down", cooldown_until: new Date(s.cooldownUntil).toISOString(), reason: s.cooldownReason };
  if (s.retryAt > now) return { state: "limited", cooldown_until: new Date(s.retryAt).toISOString(), reason: "at its limit" };
  return { state: "ready", cooldown_until: null, reason: null };
}

export function listModels(req: Request, env: Env): Response {
  const catalog = catalogFor(env);
  const all = new URL(req.url).searchParams.get("all") === "1";
  const now = Date.now();
  const live = (m: ModelSpec): boolean => catalog.providers.get(m.provider)?.live === true;
  const models = catalog.models.filter((m) => all || live(m));
  const chat = models.filter((m) => m.kind === "chat");
  const data: unknown[] = [];
  for (const p of catalog.presets.values()) {
    data.push({ id: p.id, object: "model", created: 0, owned_by: "freeway", freeway: { kind: "preset", description: p.description } });
  }
  for (const [family, hosts] of catalog.families) {
    const shown = hosts.filter((m) => all || live(m));
    if (shown.length === 0) continue;
    data.push({
      id: family,
      object: "model",
      created: 0,
      owned_by: "freeway",
      freeway: { kind: "family", type: shown[0]?.kind ?? "chat", hosts: shown.map((m) => m.id) },
    });
  }
  for (const m of models) {
    data.push({
      id: m.id,
      object: "model",
      created: 0,
      owned_by: m.provider,
      freeway: {
        kind: m.kind,
        upstream: m.upstream,
        family: m.family ?? null,
        tier: m.tier,
        context_length: m.context,
        max_output_tokens: m.maxOutput,
        capabilities: { tools: m.tools, json_object: m.json, json_schema: m.jsonSchema, vision: m.vision, reasoning: m.reasoning },
        ...(m.dimensions ? { dimensions: m.dimensions } : {}),
        limits: m.limits,
        pool: m.pool ?? null,
        configured: live(m),
        ...state(m, now),
      },
    });
  }
  return Response.json({ object: "list", data, freeway: { chat_models: chat.length } });
}
