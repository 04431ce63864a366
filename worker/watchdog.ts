// One timer per request. Its deadline moves with each phase (bids, response head, first token, each chunk)
// without re-arming: the timer re-checks when it fires. A timer costs tens of microseconds of CPU in workerd,
// a real share of a request's budget, so the request keeps exactly one.

export class Watchdog {
  #deadline: number;
  /** a one-off early wake-up (see `checkpoint`), or Infinity */
  #checkpointAt = Infinity;
  #checkpoint: (() => void) | undefined;
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
    if (earlier || this.#timer === undefined) {
      this.rest();
      this.#schedule();
    }
  }

  /**
   * Run `fn` once at `at` unless the request is over by then: work worth doing only for requests that last
   * (watching for the caller hanging up) costs nothing on the fast ones.
   */
  checkpoint(at: number, fn: () => void): void {
    this.#checkpointAt = at;
    this.#checkpoint = fn;
    if (at < this.#deadline || this.#timer === undefined) {
      this.rest();
      this.#schedule();
    }
  }

  /** No deadline until the next `set` (an attempt is over; the request may go on to another). */
  rest(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The request is over: nothing more to watch. */
  stop(): void {
    this.rest();
    this.#checkpoint = undefined;
    this.#checkpointAt = Infinity;
  }

  #schedule(): void {
    const at = Math.min(this.#deadline, this.#checkpointAt);
    this.#timer = setTimeout(() => this.#check(), Math.max(0, at - Date.now()));
  }

  #check(): void {
    this.#timer = undefined;
    const now = Date.now();
    if (this.#checkpoint && now >= this.#checkpointAt) {
      const fn = this.#checkpoint;
      this.#checkpoint = undefined;
      this.#checkpointAt = Infinity;
      fn();
    }
    if (now < this.#deadline) {
      this.#schedule();
      return;
    }
    this.#fired = true;
    this.onFire();
    this.#fire();
  }
}
