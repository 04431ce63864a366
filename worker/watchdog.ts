// One timer per request. Its deadline moves with each phase (bids, response head, first token, each chunk)
// without re-arming: the timer re-checks when it fires. A timer costs tens of microseconds of CPU in workerd,
// a real share of a request's budget, so the request keeps exactly one.

export class Watchdog {
  #deadline: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #fired = false;
  #fire!: () => void;
  /** what to do when the deadline passes (the phase decides: drop late bids, abort the upstream call) */
  onFire: () => void;
  /** Resolves once the current deadline has passed (never rejects); a new one after `set` revives it. */
  expired!: Promise<void>;

  constructor(deadline: number, onFire: () => void = () => undefined) {
    this.#deadline = deadline;
    this.onFire = onFire;
    this.#arm();
  }

  #arm(): void {
    this.#fired = false;
    this.expired = new Promise<void>((resolve) => (this.#fire = resolve));
    this.#schedule();
  }

  get fired(): boolean {
    return this.#fired;
  }

  /** Move the deadline; later is free, earlier re-arms, and a fired watchdog starts over. */
  set(deadline: number): void {
    if (this.#fired) {
      this.#deadline = deadline;
      this.#arm();
      return;
    }
    const earlier = deadline < this.#deadline;
    this.#deadline = deadline;
    if (earlier) {
      this.stop();
      this.#schedule();
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(0, this.#deadline - Date.now()));
  }

  #check(): void {
    this.#timer = undefined;
    if (Date.now() < this.#deadline) {
      this.#schedule();
      return;
    }
    this.#fired = true;
    this.onFire();
    this.#fire();
  }
}
