// ModelActor: one Durable Object per provider-model, guarding its free-tier limits and health.

import type { ActorStatus, Bid, Grant, Need, Outcome, Snapshot } from "../shared/actors.ts";
import { LimitedActor } from "./limited-actor.ts";
import type { PoolActor } from "./pool-actor.ts";

interface ModelEnv {
  POOL_ACTOR: DurableObjectNamespace<PoolActor>;
}

export class ModelActor extends LimitedActor<ModelEnv> {
  protected actorId(need: Need): string {
    return need.model;
  }

  /**
   * Admission for one request: a reservation held until reported or released, or a refusal with when to retry.
   * Outcomes of earlier requests ride along and are applied first, so the decision sees them.
   */
  async bid(need: Need, reports?: Outcome[]): Promise<Bid> {
    for (const o of reports ?? []) this.applyOutcome(o);
    return this.admitNeed(need);
  }

  /** More credit for an isolate spending this model's last one; outcomes of earlier requests ride along. */
  async renew(need: Need, reports?: Outcome[]): Promise<Grant> {
    for (const o of reports ?? []) this.applyOutcome(o);
    return this.renewNeed(need);
  }

  /** Successful outcomes the Worker batched (no bid came along to carry them). */
  async reportMany(outcomes: Outcome[]): Promise<Snapshot> {
    for (const o of outcomes) this.applyOutcome(o);
    return this.snapshot(Date.now());
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
        // so that the pool, too, takes yesterday's word for yesterday's
        startedAt: outcome.startedAt,
      });
    }
    return this.snapshot(Date.now());
  }

  override async status(): Promise<ActorStatus> {
    return super.status();
  }
}
