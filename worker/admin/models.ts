// Admin procedures for models and providers: live state, limit overrides, enable/disable, cooldown reset.
// Every change lands in the model's actor (persisted, applied on its next request) and in the audit log.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { ActorStatus } from "../../shared/actors.ts";
import { catalogFor, dailyRule, type ModelSpec } from "../../shared/catalog/index.ts";
import { forgetAll } from "../auction.ts";
import type { Env } from "../env.ts";
import { audit } from "./audit.ts";
import { procedure, router } from "./trpc.ts";

const limits = z
  .object({
    rpm: z.number().int().positive().optional(),
    rpd: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    tpd: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
  })
  .strict();

function model(env: Env, id: string): ModelSpec {
  const m = catalogFor(env).model(id);
  if (!m) throw new TRPCError({ code: "NOT_FOUND", message: `No model '${id}' in the catalog` });
  return m;
}

function stub(env: Env, id: string) {
  return env.MODEL_ACTOR.getByName(id);
}

export interface ModelView {
  id: string;
  provider: string;
  kind: ModelSpec["kind"];
  family: string | null;
  configured: boolean;
  catalogLimits: ModelSpec["limits"];
  /** null for an actor no request has reached yet */
  status: ActorStatus | null;
}

/** `ask`: ask the actor even when the provider is not configured (one model asked for by name: its overrides show). */
async function view(env: Env, m: ModelSpec, ask = false): Promise<ModelView> {
  const live = catalogFor(env).providers.get(m.provider)?.live === true;
  const status = live || ask ? ((await (stub(env, m.id).status() as Promise<ActorStatus>).catch(() => null)) ?? null) : null;
  return { id: m.id, provider: m.provider, kind: m.kind, family: m.family ?? null, configured: live, catalogLimits: m.limits, status: status?.id ? status : null };
}

/** Apply one change to a model's actor, audited; this isolate forgets what it remembered about the model. */
async function change(env: Env, ctx: Parameters<typeof audit>[0], action: string, id: string, apply: () => Promise<ActorStatus>): Promise<ActorStatus> {
  model(env, id);
  const before = (await (stub(env, id).status() as Promise<ActorStatus>).catch(() => null)) ?? null;
  const after = await apply();
  await forgetAll();
  await audit(ctx, `${action} ${id}`, before && { limits: before.limits, overrides: before.overrides, disabled: before.snapshot.disabled, cooldownUntil: before.snapshot.cooldownUntil }, {
    limits: after.limits,
    overrides: after.overrides,
    disabled: after.snapshot.disabled,
    cooldownUntil: after.snapshot.cooldownUntil,
  });
  return after;
}

/**
 * An actor needs its catalog defaults before it can answer for them; a model never asked yet learns them here
 * (the same bid a request would make, immediately released).
 */
async function ensureConfigured(env: Env, m: ModelSpec): Promise<void> {
  const s = (await stub(env, m.id).status()) as ActorStatus;
  if (s.id) return;
  const provider = catalogFor(env).providers.get(m.provider);
  const bid = await stub(env, m.id).bid({ model: m.id, tokens: 0, defaults: m.limits, ...dailyRule(provider), pool: m.pool });
  if (bid.ok) await stub(env, m.id).release(bid.lease, 0);
}

const id = z.object({ id: z.string().min(1).max(300) }).strict();

export const modelsRouter = router({
  list: procedure.input(z.object({ all: z.boolean().optional() }).strict().optional()).query(async ({ ctx, input }) => {
    const catalog = catalogFor(ctx.env);
    const models = catalog.models.filter((m) => input?.all || catalog.providers.get(m.provider)?.live);
    return Promise.all(models.map((m) => view(ctx.env, m)));
  }),
  get: procedure.input(id).query(async ({ ctx, input }) => view(ctx.env, model(ctx.env, input.id), true)),
  setLimits: procedure
    .input(z.object({ id: z.string().min(1), limits: limits.nullable() }).strict())
    .mutation(async ({ ctx, input }) => {
      await ensureConfigured(ctx.env, model(ctx.env, input.id));
      return change(ctx.env, ctx, "models.setLimits", input.id, () => stub(ctx.env, input.id).setLimits(input.limits) as Promise<ActorStatus>);
    }),
  enable: procedure.input(id).mutation(async ({ ctx, input }) => {
    await ensureConfigured(ctx.env, model(ctx.env, input.id));
    return change(ctx.env, ctx, "models.enable", input.id, () => stub(ctx.env, input.id).setEnabled(true) as Promise<ActorStatus>);
  }),
  disable: procedure.input(id).mutation(async ({ ctx, input }) => {
    await ensureConfigured(ctx.env, model(ctx.env, input.id));
    return change(ctx.env, ctx, "models.disable", input.id, () => stub(ctx.env, input.id).setEnabled(false) as Promise<ActorStatus>);
  }),
  /** Ends the model's cooldown, and its shared pool's if that holds it back too (else "ready" would not be true). */
  resetCooldown: procedure.input(id).mutation(async ({ ctx, input }) => {
    const pool = model(ctx.env, input.id).pool;
    if (pool) {
      const status = (await (poolStub(ctx.env, pool).status() as Promise<ActorStatus>).catch(() => null)) ?? null;
      if (status?.id && status.snapshot.cooldownUntil > Date.now()) await changePool(ctx.env, ctx, "pools.resetCooldown", pool, () => poolStub(ctx.env, pool).resetCooldown() as Promise<ActorStatus>);
    }
    return change(ctx.env, ctx, "models.resetCooldown", input.id, () => stub(ctx.env, input.id).resetCooldown() as Promise<ActorStatus>);
  }),
});

/** A limit several models share (OpenRouter's :free allowance, an account's RPM), as an operator sees it. */
export interface PoolView {
  id: string;
  provider: string;
  catalogLimits: ModelSpec["limits"];
  models: string[];
  /** null for a pool no request has reached yet */
  status: ActorStatus | null;
}

function pool(env: Env, id: string) {
  const p = catalogFor(env).pools.get(id);
  if (!p) throw new TRPCError({ code: "NOT_FOUND", message: `No pool '${id}' in the catalog` });
  return p;
}

function poolStub(env: Env, id: string) {
  return env.POOL_ACTOR.getByName(id);
}

async function poolView(env: Env, id: string): Promise<PoolView> {
  const p = pool(env, id);
  const catalog = catalogFor(env);
  const status = (await (poolStub(env, id).status() as Promise<ActorStatus>).catch(() => null)) ?? null;
  return { id, provider: p.provider, catalogLimits: p.limits, models: catalog.models.filter((m) => m.pool === id).map((m) => m.id), status: status?.id ? status : null };
}

/** One change to a pool's actor, audited (configured first, as a request would). */
async function changePool(env: Env, ctx: Parameters<typeof audit>[0], action: string, id: string, apply: () => Promise<ActorStatus>): Promise<ActorStatus> {
  const p = pool(env, id);
  const s = poolStub(env, id);
  const before = (await (s.status() as Promise<ActorStatus>).catch(() => null)) ?? null;
  if (!before?.id) {
    const provider = catalogFor(env).providers.get(p.provider);
    const bid = await s.take({ model: id, tokens: 0, defaults: p.limits, ...dailyRule(provider), pool: id });
    if (bid.ok) await s.release(bid.lease, 0);
  }
  const after = await apply();
  await forgetAll();
  await audit(ctx, `${action} ${id}`, before?.id ? { limits: before.limits, overrides: before.overrides, cooldownUntil: before.snapshot.cooldownUntil } : null, {
    limits: after.limits,
    overrides: after.overrides,
    cooldownUntil: after.snapshot.cooldownUntil,
  });
  return after;
}

export const poolsRouter = router({
  list: procedure.query(({ ctx }) => Promise.all([...catalogFor(ctx.env).pools.keys()].map((p) => poolView(ctx.env, p)))),
  get: procedure.input(id).query(({ ctx, input }) => poolView(ctx.env, input.id)),
  setLimits: procedure
    .input(z.object({ id: z.string().min(1), limits: limits.nullable() }).strict())
    .mutation(({ ctx, input }) => changePool(ctx.env, ctx, "pools.setLimits", input.id, () => poolStub(ctx.env, input.id).setLimits(input.limits) as Promise<ActorStatus>)),
  resetCooldown: procedure.input(id).mutation(({ ctx, input }) => changePool(ctx.env, ctx, "pools.resetCooldown", input.id, () => poolStub(ctx.env, input.id).resetCooldown() as Promise<ActorStatus>)),
});

async function setProvider(env: Env, ctx: Parameters<typeof audit>[0], providerId: string, enabled: boolean): Promise<{ id: string; models: number }> {
  const catalog = catalogFor(env);
  const provider = catalog.providers.get(providerId);
  if (!provider) throw new TRPCError({ code: "NOT_FOUND", message: `No provider '${providerId}'` });
  if (provider.wildcard) {
    // Its models are whatever names callers send: there is no list to switch off, and "0 models" would mislead.
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `'${providerId}' passes any model name through ("models": "*"), so its models cannot be switched together: take it out of CUSTOM_PROVIDERS, or switch models off one by one`,
    });
  }
  const models = catalog.models.filter((m) => m.provider === providerId);
  await Promise.all(
    models.map(async (m) => {
      await ensureConfigured(env, m);
      // The provider's own switch: a model switched off on its own stays off when the provider comes back.
      await stub(env, m.id).setEnabled(enabled, "provider");
    }),
  );
  await forgetAll();
  await audit(ctx, `providers.${enabled ? "enable" : "disable"} ${providerId}`, null, { models: models.length, enabled });
  return { id: providerId, models: models.length };
}

export const providersRouter = router({
  list: procedure.query(({ ctx }) =>
    [...catalogFor(ctx.env).providers.values()].map((p) => ({
      id: p.id,
      name: p.name,
      configured: p.live,
      custom: p.custom,
      // The URL can carry an account id, never a key; keys are not part of the view at all, nor credentials in the URL.
      baseUrl: p.url.replace(/^(https?:\/\/)[^/?#]*@/i, "$1"),
      keySetting: p.keyEnv,
      dailyResetTimeZone: p.dailyResetTimeZone,
      pools: p.pools ?? [],
    })),
  ),
  enable: procedure.input(id).mutation(({ ctx, input }) => setProvider(ctx.env, ctx, input.id, true)),
  disable: procedure.input(id).mutation(({ ctx, input }) => setProvider(ctx.env, ctx, input.id, false)),
});
