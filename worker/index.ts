// freeway's Worker: one OpenAI-compatible endpoint in front of many free LLM tiers.

import type { Env } from "./env.ts";
import { router } from "./router.ts";

export { ModelActor } from "../objects/model-actor.ts";
export { PoolActor } from "../objects/pool-actor.ts";

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return router.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
