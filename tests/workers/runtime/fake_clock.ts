/**
 * A model-manager clock that only moves when told to: for deterministic tests of time-based rules.
 *
 * @module
 */
import type { Clock } from "../../../workers/runtime/clock.ts";

/** A clock that only moves when told to. */
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
