/**
 * Time as the session sees it: a monotonic `now()` in milliseconds and one-shot timers. Injected so that tests can
 * drive pacing and barge-in timeouts deterministically.
 *
 * @module
 */

/** Opaque timer handle. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** A monotonic clock with timers. */
export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimer: (handle) => {
    if (handle !== undefined) clearTimeout(handle);
  },
};
