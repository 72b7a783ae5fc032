/**
 * Judges whether what the user said while the agent was held (a barge-in) claims the turn. It remembers the onset
 * that held the agent and the last speech end, so that the length of the interrupting speech is known when its
 * transcript arrives, even after the agent resumed.
 *
 * @module
 */
import { claimsTurn, hasRealWords } from "./backchannel.ts";
import type { TimedVadEvent } from "./speech_input.ts";

/** Where the session's turn stands when a transcript is judged. */
export interface JudgedState {
  /** The agent is held by an interruption that is not decided yet. */
  interrupted: boolean;
  /** The user is audible now. */
  userSpeaking: boolean;
}

/** One session's interruption bookkeeping. */
export class InterruptionJudge {
  readonly #streamMs: () => number;
  #onset: TimedVadEvent | null = null;
  #speechEndStreamMs = -1;

  /** @param streamMs The speech input's stream time now. */
  constructor(streamMs: () => number) {
    this.#streamMs = streamMs;
  }

  /** The onset that held the agent's output (for `barge_in_ms`), null before any barge-in. */
  get onset(): TimedVadEvent | null {
    return this.#onset;
  }

  /** The agent's output was held by the speech that began with `onset`. */
  held(onset: TimedVadEvent | null): void {
    this.#onset = onset;
  }

  /** The VAD found the end of speech at `streamMs`. */
  speechEnded(streamMs: number): void {
    this.#speechEndStreamMs = streamMs;
  }

  /**
   * Ms of interrupting speech: from the onset that held the output up to now while the user is audible, else up to
   * the last speech end (so a second utterance in the window counts as well).
   */
  speechMs(userSpeaking: boolean): number {
    const onset = this.#onset?.streamMs ?? 0;
    const ended = !userSpeaking && this.#speechEndStreamMs > onset;
    return (ended ? this.#speechEndStreamMs : this.#streamMs()) - onset;
  }

  /**
   * Whether transcript text counts as words: outside an interruption any text does; during one only real words
   * that fit the duration of the interrupting speech and, when it is short, are said with enough confidence (see
   * `claimsTurn`). A final of an interruption that arrives after the agent resumed is judged by `interruptionMs`, the
   * speech it was recorded from.
   */
  wordsCount(text: string, confidence: number, state: JudgedState, interruptionMs?: number): boolean {
    if (state.interrupted) return claimsTurn(text, this.speechMs(state.userSpeaking), confidence);
    if (interruptionMs !== undefined) return claimsTurn(text, interruptionMs, confidence);
    return hasRealWords(text);
  }
}
