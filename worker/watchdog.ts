// One timer per request. Its deadline moves with each phase (bids, response head, first token, each chunk)
// without re-arming: the timer re-checks when it fires. A timer costs tens of microseconds of CPU in workerd,
// a real share of a request's budget, so the request keeps exactly one.

export class Watchdog {
  #deadline: number;
  /** one-off early wake-ups (see `checkpoint`), soonest first */
  #checkpoints: Array<{ at: number; fn: () => void }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** the timer is to be set once the code that armed it is done (see `#arm`) */
  #armSoon = false;
  #fired = false;
  /** the deadline only counts while someone waits under it (see `pause`) */
  #paused = false;
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
    // Set a moment later (a microtask), so that the checkpoints a request adds as it starts cost one timer, not
    // one each; anything that needs it sooner sets it at once. (A promise, not workerd's costlier queueMicrotask.)
    this.#armSoon = true;
    void Promise.resolve().then(() => {
      if (this.#armSoon && this.#timer === undefined) this.#schedule();
    });
  }

  get fired(): boolean {
    return this.#fired;
  }

  /** Move the deadline; later is free, earlier re-arms, and a fired watchdog starts over. */
  set(deadline: number): void {
    this.#paused = false;
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
   * (watching for the caller hanging up, hedging a slow first token) costs nothing on the fast ones. Returns a
   * function that cancels it.
   */
  checkpoint(at: number, fn: () => void): () => void {
    const entry = { at, fn };
    const list = this.#checkpoints;
    let i = list.length;
    while (i > 0 && (list[i - 1] as { at: number }).at > at) i--;
    list.splice(i, 0, entry);
    if (i === 0 || this.#timer === undefined) {
      this.rest();
      this.#schedule();
    }
    return () => {
      const j = this.#checkpoints.indexOf(entry);
      if (j >= 0) this.#checkpoints.splice(j, 1);
    };
  }

  #nextCheckpoint(): number {
    return this.#checkpoints[0]?.at ?? Infinity;
  }

  /**
   * Nobody waits under the deadline until the next `set` (a stream's reader handed a chunk on and waits for the
   * caller to ask for the next): a deadline passing meanwhile does not fire. Free: the timer is left as it is.
   */
  pause(): void {
    this.#paused = true;
  }

  /** No deadline until the next `set` (an attempt is over; the request may go on to another). */
  rest(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armSoon = false;
  }

  /** The request is over: nothing more to watch. */
  stop(): void {
    this.rest();
    this.#checkpoints = [];
  }

  #schedule(): void {
    this.#armSoon = false;
    const at = Math.min(this.#deadline, this.#nextCheckpoint());
    this.#timer = setTimeout(() => this.#check(), Math.max(0, at - Date.now()));
  }

  #check(): void {
    this.#timer = undefined;
    const now = Date.now();
    while (this.#checkpoints.length > 0 && now >= this.#nextCheckpoint()) (this.#checkpoints.shift() as { fn: () => void }).fn();
    if (now < this.#deadline) {
      this.#schedule();
      return;
    }
    if (this.#paused) {
      // The caller is slow to read, not the provider to send: no deadline until the next wait sets one.
      this.#deadline = Infinity;
      if (this.#checkpoints.length > 0) this.#schedule();
      return;
    }
    this.#fired = true;
    this.onFire();
    this.#fire();
  }
}
