/**
 * The VAD contract: 16 kHz samples in, speech start / speech end with stream time out, for one stream.
 * One `VadStream` per session; the model weights may be shared.
 *
 * @module
 */

/** A speech boundary, timed in milliseconds of the stream's own audio (sample-accurate, not wall clock). */
export interface VadEvent {
  type: "speech_start" | "speech_end";
  /** Stream time of the boundary (speech padding already applied). */
  streamMs: number;
}

/** Tunables, all in milliseconds except the probability threshold. */
export interface VadOptions {
  /** Speech probability at or above which a window counts as speech (0..1). */
  threshold: number;
  /** Speech must last this long before `speech_start` is emitted. */
  minSpeechMs: number;
  /** Silence must last this long before `speech_end` is emitted. */
  minSilenceMs: number;
  /** Padding added before a start and after an end. */
  speechPadMs: number;
}

/** Voice activity detection for one audio stream. */
export interface VadStream {
  /** Feeds 16 kHz mono float32 samples of any length; returns the boundaries they complete, in order. */
  push(samples: Float32Array): VadEvent[];
  /** True while the stream is inside speech. */
  readonly speaking: boolean;
  /** Speech probability of the last window (0..1), for meters and debugging. */
  readonly lastProbability: number;
  /** Clears all state (e.g. between sessions). */
  reset(): void;
}
