/**
 * Turns per-window speech probabilities into speech start / end boundaries, the way Silero's own `VADIterator`
 * does: a start threshold with a lower end threshold (hysteresis), plus minimum speech, minimum silence and padding.
 * Pure and model-free, so the timing rules are testable with synthetic probabilities.
 *
 * Minimum speech counts speech windows since the first one, across short dips: a word like "the" followed by the
 * closure of a "k" is two short bursts, and must start speech at "the", not be dropped. Only a silence as long as
 * `minSilenceMs` abandons such a candidate, the same rule that ends confirmed speech.
 *
 * @module
 */
import type { VadCue, VadEvent, VadOptions } from "./contract.ts";

/** How far below `threshold` a probability must fall to count as silence (Silero's iterator uses 0.15). */
export const NEG_THRESHOLD_OFFSET = 0.15;

/** Checks options and names the first bad one; the VAD never runs on nonsense settings. */
export function validateVadOptions(options: VadOptions): VadOptions {
  const { threshold, minSpeechMs, minSilenceMs, speechPadMs } = options;
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`VAD threshold must be between 0 and 1 (exclusive), got ${threshold}`);
  }
  for (const [name, value] of Object.entries({ minSpeechMs, minSilenceMs, speechPadMs })) {
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`VAD ${name} must be a finite number of milliseconds >= 0, got ${value}`);
    }
  }
  return options;
}

/** The speech/silence state machine for one stream. Times are in ms of stream audio. */
export class SpeechSegmenter {
  readonly #options: VadOptions;
  readonly #negThreshold: number;
  #speaking = false;
  /** Start of the speech not yet long enough to count (null: none), and how much speech it holds so far. */
  #candidateStartMs: number | null = null;
  #candidateSpeechMs = 0;
  /** Start of the silence inside speech that may end it (null: none). */
  #silenceStartMs: number | null = null;
  #lastEndMs = 0;

  constructor(options: VadOptions) {
    this.#options = validateVadOptions(options);
    this.#negThreshold = Math.max(options.threshold - NEG_THRESHOLD_OFFSET, 0.01);
  }

  /** True while inside speech. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** A start or end not decided yet: the open speech candidate, or the silence inside speech; null otherwise. */
  get cue(): VadCue | null {
    if (this.#speaking) return this.#silenceStartMs === null ? null : { kind: "pause", streamMs: this.#silenceStartMs };
    return this.#candidateStartMs === null ? null : { kind: "onset", streamMs: this.#candidateStartMs };
  }

  /** Takes the probability of the window spanning [startMs, endMs) and returns the boundary it completes, if any. */
  window(probability: number, startMs: number, endMs: number): VadEvent | null {
    const { threshold, minSpeechMs, minSilenceMs, speechPadMs } = this.#options;
    if (probability >= threshold) {
      this.#silenceStartMs = null;
    } else if (probability < this.#negThreshold) {
      this.#silenceStartMs ??= startMs;
    }
    const silentLongEnough = this.#silenceStartMs !== null && endMs - this.#silenceStartMs >= minSilenceMs;
    if (this.#speaking) {
      return silentLongEnough ? this.#end(Math.min(this.#silenceStartMs! + speechPadMs, endMs)) : null;
    }
    if (silentLongEnough) this.#dropCandidate();
    if (probability >= threshold) {
      this.#candidateStartMs ??= startMs;
      this.#candidateSpeechMs += endMs - startMs;
    }
    if (this.#candidateStartMs === null || this.#candidateSpeechMs < minSpeechMs) return null;
    this.#speaking = true;
    const streamMs = Math.max(this.#candidateStartMs - speechPadMs, this.#lastEndMs, 0);
    this.#dropCandidate();
    return { type: "speech_start", streamMs };
  }

  /** Ends speech at `nowMs` if inside it (the stream's audio stopped). */
  flush(nowMs: number): VadEvent | null {
    if (!this.#speaking) {
      this.#dropCandidate();
      this.#silenceStartMs = null;
      return null;
    }
    const silenceStart = this.#silenceStartMs;
    return this.#end(silenceStart === null ? nowMs : Math.min(silenceStart + this.#options.speechPadMs, nowMs));
  }

  /** Back to the initial state. */
  reset(): void {
    this.#speaking = false;
    this.#dropCandidate();
    this.#silenceStartMs = null;
    this.#lastEndMs = 0;
  }

  #dropCandidate(): void {
    this.#candidateStartMs = null;
    this.#candidateSpeechMs = 0;
  }

  #end(streamMs: number): VadEvent {
    this.#speaking = false;
    this.#silenceStartMs = null;
    this.#lastEndMs = streamMs;
    return { type: "speech_end", streamMs };
  }
}
