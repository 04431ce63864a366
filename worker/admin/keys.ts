// Admin procedures for gateway keys: create (the key is shown once), list, revoke, set quotas and allowed models.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import type { KeyRecord } from "../../shared/access.ts";
import { catalogFor } from "../../shared/catalog/index.ts";
import { forgetClientCredit } from "../access.ts";
import type { Env } from "../env.ts";
import { audit } from "./audit.ts";
import { procedure, router } from "./trpc.ts";

const quota = z
  .object({
    rpm: z.number().int().positive().optional(),
    rpd: z.number().int().positive().optional(),
    tpd: z.number().int().positive().optional(),
  })
  .strict();

// An empty list would allow nothing at all: a key refused everywhere. All models is null.
const models = z.array(z.string().min(1).max(200)).min(1, "models: name at least one model, preset or pattern (null allows every model)").max(200).nullable();

const priority = z.enum(["normal", "high"]);

function registry(env: Env) {
  return env.KEY_REGISTRY.getByName("registry");
}

/**
 * An allow-list entry that names nothing this gateway knows (a typo) would refuse the key everywhere it was meant
 * to work: it is refused here, by name. Entries: a model id, `<provider>/*`, a family alias or a preset.
 */
function checkModels(env: Env, names: string[] | null | undefined): void {
  if (!names) return;
  const catalog = catalogFor(env);
  const unknown = names.filter(
    (n) => !catalog.model(n) && !catalog.families.has(n) && !catalog.presets.has(n) && !(n.endsWith("/*") && catalog.providers.has(n.slice(0, -2))),
  );
  if (unknown.length === 0) return;
  throw new TRPCError({
    code: "BAD_REQUEST",
    message: `models: ${unknown.map((n) => `'${n}'`).join(", ")} ${unknown.length === 1 ? "names" : "name"} no model, '<provider>/*', family or preset this gateway knows (see GET /v1/models?all=1)`,
  });
}

function found(record: KeyRecord | null, id: string): KeyRecord {
  if (!record) throw new TRPCError({ code: "NOT_FOUND", message: `No gateway key with id '${id}'` });
  return record;
}

export const keysRouter = router({
  create: procedure
    .input(z.object({ label: z.string().min(1).max(100), quota: quota.optional(), models: models.optional(), priority: priority.optional() }).strict())
    .mutation(async ({ ctx, input }) => {
      checkModels(ctx.env, input.models);
      const created = await registry(ctx.env).create(input);
      await audit(ctx, `keys.create ${created.record.id}`, null, created.record);
      return created;
    }),
  list: procedure.query(async ({ ctx }) => registry(ctx.env).list()),
  revoke: procedure
    .input(z.object({ id: z.string().min(1) }).strict())
    .mutation(async ({ ctx, input }) => {
      const before = await registry(ctx.env).get(input.id);
      const after = found(await registry(ctx.env).revoke(input.id), input.id);
      await forgetClientCredit();
      await audit(ctx, `keys.revoke ${input.id}`, before, after);
      return after;
    }),
  setQuota: procedure
    .input(
      z
        .object({ id: z.string().min(1), quota: quota.optional(), models: models.optional(), label: z.string().min(1).max(100).optional(), priority: priority.optional() })
        .strict(),
    )
    .mutation(async ({ ctx, input }) => {
      checkModels(ctx.env, input.models);
      const before = await registry(ctx.env).get(input.id);
      const change = { quota: input.quota, models: input.models, label: input.label, priority: input.priority };
      const after = found(await registry(ctx.env).update(input.id, change), input.id);
      await forgetClientCredit();
      await audit(ctx, `keys.setQuota ${input.id}`, before, after);
      return after;
    }),
});
