// freeway's Worker: one OpenAI-compatible endpoint in front of many free LLM tiers.

import type { Env } from "./env.ts";
import { preflight } from "./cors.ts";
import { route } from "./router.ts";

export { ModelActor } from "../objects/model-actor.ts";
export { PoolActor } from "../objects/pool-actor.ts";
export { ClientLimiter } from "../objects/client-limiter.ts";
export { KeyRegistry } from "../objects/key-registry.ts";
export { ResponseStore } from "../objects/response-store.ts";
export { RequestLedger } from "../objects/request-ledger.ts";
export { AuditLog } from "../objects/audit-log.ts";

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    // CORS preflights are answered before routing: they carry no credentials and count against no limit.
    return preflight(request, env) ?? route(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
