/**
 * When the page tries again for a new session after its server side went away. The first try is at once (the load
 * balancer usually has a live server already); then every 250 ms growing to at most 1 s, each wait jittered by ±25 % so
 * the users of a dead host do not all hit the edge in the same instant, for about 15 s in all. A doubling to several
 * seconds would leave a user waiting long after a live server is back, which is what this page must not do: the edge
 * takes a dead host out within about a second.
 *
 * @module
 */

/** The shape of the schedule; the defaults are what the page uses. */
export interface RejoinSchedule {
  /** Wait before the second try. */
  firstMs: number;
  /** Longest wait between two tries. */
  capMs: number;
  /** Tries stop once the waits add up to this. */
  totalMs: number;
  /** Each wait is multiplied by a factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

/** The page's schedule. */
export const REJOIN_SCHEDULE: RejoinSchedule = { firstMs: 250, capMs: 1000, totalMs: 15_000, jitter: 0.25 };

/** The waits before each try (the first is 0), from `random` in [0, 1). */
export function rejoinDelays(schedule: RejoinSchedule = REJOIN_SCHEDULE, random: () => number = Math.random): number[] {
  const delays = [0];
  let total = 0;
  for (let base = schedule.firstMs; total < schedule.totalMs; base = Math.min(base * 2, schedule.capMs)) {
    const wait = Math.round(base * (1 + schedule.jitter * (2 * random() - 1)));
    delays.push(wait);
    total += wait;
  }
  return delays;
}
