// Types the test pool's `env` (from cloudflare:workers) with the Worker's Durable Object bindings.
declare namespace Cloudflare {
  interface Env {
    MODEL_ACTOR: DurableObjectNamespace<import("../objects/model-actor.ts").ModelActor>;
    POOL_ACTOR: DurableObjectNamespace<import("../objects/pool-actor.ts").PoolActor>;
    CLIENT_LIMITER: DurableObjectNamespace<import("../objects/client-limiter.ts").ClientLimiter>;
    KEY_REGISTRY: DurableObjectNamespace<import("../objects/key-registry.ts").KeyRegistry>;
    RESPONSE_STORE: DurableObjectNamespace<import("../objects/response-store.ts").ResponseStore>;
    REQUEST_LEDGER: DurableObjectNamespace<import("../objects/request-ledger.ts").RequestLedger>;
    AUDIT_LOG: DurableObjectNamespace<import("../objects/audit-log.ts").AuditLog>;
  }
}
