// The Worker's bindings and settings (wrangler.toml vars, secrets, `.dev.vars`, or process env under `npm run serve`).

import type { AuditLog } from "../objects/audit-log.ts";
import type { ClientLimiter } from "../objects/client-limiter.ts";
import type { KeyRegistry } from "../objects/key-registry.ts";
import type { ModelActor } from "../objects/model-actor.ts";
import type { PoolActor } from "../objects/pool-actor.ts";
import type { RequestLedger } from "../objects/request-ledger.ts";
import type { ResponseStore } from "../objects/response-store.ts";

export interface Env {
  MODEL_ACTOR: DurableObjectNamespace<ModelActor>;
  POOL_ACTOR: DurableObjectNamespace<PoolActor>;
  CLIENT_LIMITER: DurableObjectNamespace<ClientLimiter>;
  KEY_REGISTRY: DurableObjectNamespace<KeyRegistry>;
  RESPONSE_STORE: DurableObjectNamespace<ResponseStore>;
  REQUEST_LEDGER: DurableObjectNamespace<RequestLedger>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  /** the dashboard's built files (dashboard/dist); absent when a deployment has none */
  ASSETS?: Fetcher;
  /** every other setting is a string: provider keys, *_BASE_URL, CUSTOM_PROVIDERS, timeouts (README table) */
  readonly [setting: string]: unknown;
}
