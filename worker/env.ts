// The Worker's bindings and settings (wrangler.toml vars, secrets, `.dev.vars`, or process env under `npm run serve`).

import type { ModelActor } from "../objects/model-actor.ts";
import type { PoolActor } from "../objects/pool-actor.ts";

export interface Env {
  MODEL_ACTOR: DurableObjectNamespace<ModelActor>;
  POOL_ACTOR: DurableObjectNamespace<PoolActor>;
  /** every other setting is a string: provider keys, *_BASE_URL, CUSTOM_PROVIDERS, timeouts (README table) */
  readonly [setting: string]: unknown;
}
