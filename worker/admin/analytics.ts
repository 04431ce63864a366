// Admin procedures over the request log: summaries, time series, the log itself, quota forecasts, the audit log.

import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { catalogFor } from "../../shared/catalog/index.ts";
import type { AuditEntry } from "../../objects/audit-log.ts";
import { forecast, requestLog, summary, timeseries } from "../analytics.ts";
import { latencyBuckets } from "./latency.ts";
import { procedure, router } from "./trpc.ts";

const HOUR = 3_600_000;

/** The last moment a range may name: the end of year 9999, as far as dates are written with four digits. */
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A time range in ms since epoch; the default is the last 24 hours. */
const range = z
  .object({
    since: z.number().int().nonnegative().max(LAST_MS).optional(),
    until: z.number().int().positive().max(LAST_MS).optional(),
  })
  .strict()
  .refine((r) => r.since === undefined || r.until === undefined || r.since < r.until, { message: "'since' must be before 'until'", path: ["since"] });

function resolve(r: { since?: number; until?: number } | undefined): { since: number; until: number } {
  const until = r?.until ?? Date.now() + 60_000;
  const since = r?.since ?? until - 24 * HOUR;
  // The schema checks the order when both are given; a 'since' past the default end (now) is as wrong.
  if (since >= until) throw new TRPCError({ code: "BAD_REQUEST", message: "'since' must be before 'until'" });
  return { since, until };
}

export const analyticsRouter = router({
  summary: procedure
    .input(range.extend({ by: z.enum(["model", "provider"]).default("model") }).optional())
    .query(async ({ ctx, input }) => {
      const { since, until } = resolve(input);
      return summary(ctx.env, catalogFor(ctx.env), since, until, input?.by ?? "model");
    }),
  timeseries: procedure
    .input(
      range
        .extend({
          bucketMinutes: z.number().int().min(1).max(1440).default(1),
          model: z.string().optional(),
          provider: z.string().optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const { since, until } = resolve(input);
      return timeseries(ctx.env, since, until, input?.bucketMinutes ?? 1, { model: input?.model, provider: input?.provider });
    }),
  requests: procedure
    .input(
      range
        .extend({
          before: z.number().int().optional(),
          /** with `before`: the id of the previous page's last record (records of its millisecond are not skipped) */
          beforeId: z.string().max(200).optional(),
          limit: z.number().int().min(1).max(500).default(50),
          model: z.string().optional(),
          provider: z.string().optional(),
          key: z.string().optional(),
          route: z.enum(["chat", "embeddings", "responses"]).optional(),
          status: z.enum(["ok", "error"]).optional(),
        })
        .optional(),
    )
    .query(async ({ ctx, input }) => {
      const { since, until } = resolve(input);
      return requestLog(ctx.env, { ...input, since, until });
    }),
  /** p50 / p95 latency and time to first token per bucket, from the latest 500 requests in the range (dashboard charts). */
  latency: procedure
    .input(range.extend({ bucketMinutes: z.number().int().min(1).max(1440).default(1) }).optional())
    .query(async ({ ctx, input }) => {
      const { since, until } = resolve(input);
      const sample = 500;
      const records = await requestLog(ctx.env, { since, until, limit: sample });
      return { sampled: records.length >= sample, buckets: latencyBuckets(records, (input?.bucketMinutes ?? 1) * 60_000) };
    }),
  forecast: procedure.query(async ({ ctx }) => forecast(ctx.env, catalogFor(ctx.env))),
  audit: procedure
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(100), before: z.number().int().optional() }).strict().optional())
    // The RPC stub's result type does not survive tRPC's inference; the entries are plain data.
    .query(async ({ ctx, input }): Promise<AuditEntry[]> => (await ctx.env.AUDIT_LOG.getByName("audit").list(input?.limit ?? 100, input?.before)) as AuditEntry[]),
});
