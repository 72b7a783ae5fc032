/**
 * The agent's audio pauses at the first window the VAD rates speech, not at its decision `minSpeechMs` later: a user
 * who starts talking is not talked over meanwhile. When the VAD drops that candidate (a click, a breath), the audio
 * goes on from the next unsent frame; when it decides speech, the interruption takes the hold over. It also keeps the
 * onset of the interruption, from which `barge_in_onset_ms` counts.
 *
 * @module
 */
import type { TimedVadCue } from "./speech_input.ts";

/** One session's early hold. */
export class OnsetHold {
  readonly #enabled: boolean;
  /** The VAD's open speech candidate, while undecided. */
  #candidate: TimedVadCue = null;
  /** The candidate that holds the agent's audio now. */
  #holding: TimedVadCue = null;
  /** Wall time of the onset of the interruption that holds the agent, once it took over. */
  interruptionOnsetAt: number | undefined;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  /** True while an undecided onset holds the agent's audio. */
  get holding(): boolean {
    return this.#holding !== null;
  }

  /** The VAD's cue changed; `agentAudible` when the agent speaks and sound may interrupt it (past the guard). */
  cue(cue: TimedVadCue, agentAudible: boolean): void {
    this.#candidate = cue?.kind === "onset" ? cue : null;
    if (this.#enabled && this.#candidate && agentAudible) this.#holding ??= this.#candidate;
    else this.#holding = null;
  }

  /** The VAD decided speech and the interruption holds the agent now; `fallbackAtMs`: its onset by the VAD event. */
  interruptionTookOver(fallbackAtMs: number | undefined): void {
    this.interruptionOnsetAt = this.#holding?.atMs ?? this.#candidate?.atMs ?? fallbackAtMs;
    this.#holding = null;
  }

  /** The agent stopped speaking: nothing to hold. */
  release(): void {
    this.#holding = null;
  }
}
