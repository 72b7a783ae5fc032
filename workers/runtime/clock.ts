/**
 * Time source of the model manager, injectable so that TTL and residency rules are tested with a fake clock
 * (`tests/workers/runtime/fake_clock.ts`).
 *
 * @module
 */

/** Wall-clock milliseconds (Unix epoch in production; anything monotonic in tests). */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };
