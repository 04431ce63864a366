// GET /v1/analytics: the public summary — per provider and per model, no per-key data, no client data.

import { catalogFor } from "../../shared/catalog/index.ts";
import { aggregates, summarize } from "../analytics.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

const HOURS_MAX = 24 * 30;

export async function publicAnalytics(req: Request, env: Env): Promise<Response> {
  const raw = new URL(req.url).searchParams.get("hours");
  const hours = raw === null ? 24 : Number(raw);
  if (!Number.isInteger(hours) || hours < 1 || hours > HOURS_MAX) {
    throw new HttpError(400, `'hours' must be a whole number from 1 to ${HOURS_MAX}`, { param: "hours", code: "invalid_value" });
  }
  const until = Date.now() + 60_000;
  const since = until - hours * 3_600_000;
  const catalog = catalogFor(env);
  // The day ledgers are read once and summarised both ways.
  const parts = await aggregates(env, since, until);
  const byProvider = summarize(parts, catalog, since, until, "provider");
  const byModel = summarize(parts, catalog, since, until, "model");
  return Response.json({
    object: "analytics.summary",
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    totals: byModel.totals,
    providers: byProvider.groups,
    models: byModel.groups,
  });
}
