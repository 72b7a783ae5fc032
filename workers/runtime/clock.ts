/**
 * Time source of the model manager, injectable so that TTL and residency rules are tested with a fake clock.
 *
 * @module
 */

/** Wall-clock milliseconds (Unix epoch in production; anything monotonic in tests). */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for deterministic tests of time-based rules. */
export class FakeClock implements Clock {
  #now: number;
  constructor(start = 1_000_000) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }
}
