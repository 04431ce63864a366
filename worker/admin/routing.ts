// Admin procedures for routing: the live status, and "explain": for a request body, which candidates, their
// standing, and which would win — without reserving anything.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ActorStatus } from "../../shared/actors.ts";
import { catalogFor } from "../../shared/catalog/index.ts";
import { abundance, priorSnapshot, score } from "../../objects/score.ts";
import { adapterFor } from "../adapters/index.ts";
import { needsOf, resolveCandidates, unfit } from "../candidates.ts";
import { HttpError } from "../errors.ts";
import { buildStatus } from "../routes/status.ts";
import { estimatePrompt, requestedMaxTokens } from "../tokens.ts";
import { validateChat } from "../validate.ts";
import { procedure, router } from "./trpc.ts";

export interface Explained {
  model: string;
  /** -1 when it cannot serve now */
  score: number;
  state: string;
  reason: string | null;
}

export const routingRouter = router({
  status: procedure.query(async ({ ctx }) => buildStatus(ctx.env)),
  // The body as /v1/chat/completions would get it: JSON values only (superjson could also carry a BigInt, a Date, a
  // URL or NaN, which the request path never sees and which would fail past validation as a 500).
  explain: procedure.input(z.object({ body: z.record(z.string(), z.json()) }).strict()).query(async ({ ctx, input }) => {
    const catalog = catalogFor(ctx.env);
    const supportsN = (m: { provider: string }) => adapterFor(catalog.providers.get(m.provider)?.dialect ?? "openai").supportsN;
    let candidates;
    let needs;
    try {
      const req = validateChat(structuredClone(input.body));
      const prompt = estimatePrompt(req);
      needs = needsOf(req, prompt.tokens, prompt.images, requestedMaxTokens(req));
      candidates = resolveCandidates(catalog, req, needs, supportsN);
    } catch (e) {
      if (e instanceof HttpError) throw new TRPCError({ code: "BAD_REQUEST", message: e.message });
      throw e;
    }
    const now = Date.now();
    const flat = candidates.groups.flat();
    const statuses = await Promise.all(flat.map((m) => (ctx.env.MODEL_ACTOR.getByName(m.id).status() as Promise<ActorStatus>).catch(() => null)));
    const ranked: Explained[] = flat.map((m, i) => {
      const s = statuses[i];
      const snap = s?.id ? s.snapshot : null;
      const sc = score(snap ?? priorSnapshot(now), now, candidates.preset.latencyWeight, abundance(m.limits.rpd));
      const state = !snap ? "ready (never asked)" : snap.disabled ? "disabled" : snap.cooldownUntil > now ? `cooling down until ${new Date(snap.cooldownUntil).toISOString()}` : "ready";
      return { model: m.id, score: Number.isFinite(sc) ? Math.round(sc * 1000) / 1000 : -1, state, reason: snap?.cooldownReason ?? null };
    });
    ranked.sort((a, b) => b.score - a.score);
    // What the request's needs ruled out among the models its `model` names.
    const considered = new Set(flat.map((m) => m.id));
    const excluded = catalog.models
      .filter((m) => m.kind === "chat" && !considered.has(m.id))
      .map((m) => ({ model: m.id, reason: !catalog.providers.get(m.provider)?.live ? "provider not configured" : unfit(m, needs, supportsN) }))
      .filter((x): x is { model: string; reason: string } => x.reason !== null)
      .slice(0, 200);
    return { preset: candidates.preset.id, candidates: ranked, winner: ranked.find((r) => r.score >= 0)?.model ?? null, excluded };
  }),
});
