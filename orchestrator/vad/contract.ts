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

/**
 * What the VAD suspects before it decides: `onset` while speech may be starting (a window was rated speech, not yet
 * `minSpeechMs` of it), `pause` while speech may be ending (silence began, not yet `minSilenceMs` of it). A suspicion
 * either becomes a boundary event or is dropped (the cue goes back to null). `streamMs` is where it began.
 */
export interface VadCue {
  kind: "onset" | "pause";
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

/**
 * Voice activity detection for one audio stream.
 *
 * `push` is async because the model runs asynchronously (onnxruntime's `session.run`). Calls are processed strictly
 * in call order even when the caller does not await each one, so a transport can fire `push` per frame; each
 * returned promise resolves with the boundaries completed by that call's samples.
 */
export interface VadStream {
  /** Feeds 16 kHz mono float32 samples of any length; resolves with the boundaries they complete, in order. */
  push(samples: Float32Array): Promise<VadEvent[]>;
  /**
   * Ends the stream's audio: if it is inside speech, resolves with a `speech_end` at the current stream time.
   * The stream may be pushed to again afterwards (its time keeps running).
   */
  flush(): Promise<VadEvent[]>;
  /** True while the stream is inside speech. */
  readonly speaking: boolean;
  /**
   * The suspicion after the last resolved push (see {@linkcode VadCue}); null when there is none. Lets a session
   * act on a likely boundary a few hundred ms early (pause the agent, start decoding) and undo it if it is dropped.
   * Optional: a stream without it gives boundary events only.
   */
  readonly cue?: VadCue | null;
  /** Speech probability of the last window (0..1), for meters and debugging. */
  readonly lastProbability: number;
  /** Stream time of the audio taken in by resolved pushes, in ms (including samples awaiting a full window). */
  readonly streamMs: number;
  /** Clears all state (e.g. between sessions); stream time starts again at 0. Waits for pushes in flight. */
  reset(): Promise<void>;
}
