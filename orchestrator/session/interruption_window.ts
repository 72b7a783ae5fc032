/**
 * How long an interruption may wait for its words. The false-interruption window (`FALSE_INTERRUPTION_MS`) runs from
 * the end of the interrupting speech; a window that expires while the recognizer is still working on that speech
 * proves nothing (under load Whisper's final can take longer than the window), so the agent stays paused until the
 * final arrives, but no longer than an upper bound: then it resumes, and a final with words that arrives even later
 * still stops it (as a barge-in at that moment).
 *
 * @module
 */

/** The upper bound is this many false-interruption windows after the end of the interrupting speech… */
export const FINAL_WAIT_WINDOWS = 3;
/** …and at least this long (ms): a loaded recognizer needs about 1–2 s for a short utterance. */
export const FINAL_WAIT_MIN_MS = 2_000;

/** Ms after the end of the interrupting speech at which the agent resumes even though its final is still pending. */
export function finalWaitBoundMs(falseInterruptionMs: number): number {
  return Math.max(FINAL_WAIT_WINDOWS * falseInterruptionMs, FINAL_WAIT_MIN_MS);
}
