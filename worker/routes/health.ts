// GET /health: liveness plus how many providers are configured; no secrets, no per-client data.

import { catalogFor } from "../../shared/catalog/index.ts";
import type { Env } from "../env.ts";
import { settingProblems } from "../settings.ts";
import { isolateStats } from "../stats.ts";

export function health(_req: Request, env: Env): Response {
  const catalog = catalogFor(env);
  const live = [...catalog.providers.values()].filter((p) => p.live);
  return Response.json({
    status: live.length > 0 ? "ok" : "no_providers",
    providers: live.map((p) => p.id),
    models: catalog.models.filter((m) => catalog.providers.get(m.provider)?.live).length,
    problems: [...catalog.problems, ...settingProblems(env)],
    // This isolate's counters (the benchmark reads actor calls per request from them); no per-client data.
    isolate: isolateStats(),
  });
}
