// Exponentially weighted moving averages of success, latency and time to first token.

export interface Ewma {
  value: number;
  /** number of samples seen, so the first samples are not drowned by the prior */
  n: number;
}

/** Weight of a new sample once warmed up; ~the last 10 samples dominate. */
const ALPHA = 0.2;

/** The prior counts as one sample, so one early result moves the average halfway rather than all the way. */
export function ewma(prior: number): Ewma {
  return { value: prior, n: 1 };
}

export function observe(e: Ewma, sample: number): Ewma {
  // Average plainly until warmed up, then decay: a fresh actor should not trust its prior for long.
  const a = Math.max(ALPHA, 1 / (e.n + 1));
  return { value: e.value + a * (sample - e.value), n: e.n + 1 };
}
