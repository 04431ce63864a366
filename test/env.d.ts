// Types the test pool's `env` (from cloudflare:workers) with the Worker's Durable Object bindings.
declare namespace Cloudflare {
  interface Env {
    MODEL_ACTOR: DurableObjectNamespace<import("../objects/model-actor.ts").ModelActor>;
    POOL_ACTOR: DurableObjectNamespace<import("../objects/pool-actor.ts").PoolActor>;
  }
}
