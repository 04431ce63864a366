// ModelActor: one Durable Object per provider-model, guarding its free-tier limits and health.

import type { ActorStatus, Bid, Need, Outcome, Snapshot } from "../shared/actors.ts";
import { LimitedActor } from "./limited-actor.ts";
import type { PoolActor } from "./pool-actor.ts";

interface ModelEnv {
  POOL_ACTOR: DurableObjectNamespace<PoolActor>;
}

export class ModelActor extends LimitedActor<ModelEnv> {
  protected actorId(need: Need): string {
    return need.model;
  }

  /** Admission for one request: a reservation held until `report` or `release`, or a refusal with when to retry. */
  async bid(need: Need): Promise<Bid> {
    return this.admitNeed(need);
  }

  /** The outcome of an attempt. Account-wide failures are passed on to the shared pool from here, off the Worker's path. */
  async report(outcome: Outcome): Promise<Snapshot> {
    this.applyOutcome(outcome);
    const pool = this.config.pool;
    if (pool && !outcome.ok && outcome.scope === "pool" && outcome.failure) {
      await this.env.POOL_ACTOR.getByName(pool).poolFailure({
        failure: outcome.failure,
        retryAfterMs: outcome.retryAfterMs,
        message: outcome.message,
        rate: outcome.rate,
      });
    }
    return this.snapshot(Date.now());
  }

  override async status(): Promise<ActorStatus> {
    return super.status();
  }
}
