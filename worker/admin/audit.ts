// Recording operator changes in the audit log (who, when, old → new).

import type { AdminContext } from "./trpc.ts";

export async function audit(ctx: AdminContext, action: string, before: object | null, after: object | null): Promise<void> {
  await ctx.env.AUDIT_LOG.getByName("audit").record({
    ts: Date.now(),
    actor: ctx.operator,
    action,
    before: before as Record<string, unknown> | null,
    after: after as Record<string, unknown> | null,
  });
}
