// PoolActor: a limit several models share (OpenRouter's :free allowance, NVIDIA's per-account RPM).

import type { Bid, Grant, Need, Outcome } from "../shared/actors.ts";
import { LimitedActor } from "./limited-actor.ts";

export class PoolActor extends LimitedActor {
  protected actorId(need: Need): string {
    return need.pool ?? need.model;
  }

  /** Take one request (and its tokens) from the pool; consulted in the same parallel round as the model's bid. */
  async take(need: Need): Promise<Bid> {
    return this.admitNeed(need);
  }

  /** More credit for an isolate spending this pool's last one. */
  async renew(need: Need): Promise<Grant> {
    return this.renewNeed(need);
  }

  /** An account-wide failure seen by one of the pool's models cools the whole pool. */
  async poolFailure(f: Pick<Outcome, "failure" | "retryAfterMs" | "message" | "rate" | "startedAt">): Promise<void> {
    this.applyOutcome({ model: this.config.id, lease: "", reserved: 0, ok: false, status: 0, ...f });
  }
}
