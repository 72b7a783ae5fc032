/**
 * The ASR engine contract: one utterance's audio in, partial and final text out. Every engine (Whisper on
 * onnxruntime, pocketsphinx) implements it and passes the one shared contract suite in
 * `tests/orchestrator/asr/contract_suite.ts`.
 *
 * @module
 */

/** A transcript of one utterance (or of the audio heard so far, for a partial). */
export interface Transcript {
  text: string;
  /** BCP-47 / Whisper language code, e.g. `en`. */
  language: string;
  /** 0..1, the engine's own confidence (e.g. mean token probability). */
  confidence: number;
  /** Seconds of audio the transcript covers. */
  audioSeconds: number;
  /** Milliseconds of compute spent on this transcript. */
  computeMs: number;
  /** True for the final transcript of the utterance. */
  isFinal: boolean;
}

/** Options for one utterance. */
export interface UtteranceOptions {
  /** Language hint (`en`, `de`, …); engines that cannot honour it ignore it. Empty: the engine's default. */
  language?: string;
  /** Called with each partial transcript while audio is still arriving. */
  onPartial?: (partial: Transcript) => void;
  /**
   * Who the utterance belongs to (one key per session). Engines that queue work share it fairly between sessions,
   * so one session's backlog cannot delay another's final (see `orchestrator/asr/fair_queue.ts`). Default: a lane
   * shared by all utterances without a session.
   */
  session?: string;
}

/**
 * One utterance being recognised. Audio is 16 kHz mono float32 in [-1, 1], pushed in any chunk size as it arrives.
 * Partials are produced by the engine on its own schedule (e.g. every `ASR_PARTIAL_INTERVAL_MS`) and never block
 * `push`. `finish` returns the final transcript; `cancel` drops the utterance.
 */
export interface Utterance {
  push(samples: Float32Array): void;
  finish(): Promise<Transcript>;
  cancel(): void;
  /**
   * Optional. The speaker may have stopped: starts the final transcript of the audio so far, at final priority, and
   * resolves with it. `finish()` then returns this transcript (audio pushed meanwhile is silence the endpoint waited
   * for), unless `retract()` was called first because speech came back.
   */
  speculate?(): Promise<Transcript>;
  /** Optional. Speech came back after `speculate()`: its transcript is dropped and `finish()` transcribes afresh. */
  retract?(): void;
}

/** A loaded recogniser, shared by all sessions of the process. */
export interface AsrEngine {
  /** Engine name, e.g. `whisper-tiny.en` or `pocketsphinx-en-us`. */
  readonly name: string;
  /** Languages it can transcribe (`["en"]` for English-only models). */
  readonly languages: readonly string[];
  /** Where it computes, when it can tell (`cuda` turns on the GPU metrics). */
  readonly device?: "cpu" | "cuda";
  /** Starts recognising one utterance. */
  startUtterance(options?: UtteranceOptions): Utterance;
  /** Convenience: transcribes a whole buffer at once (final transcript). */
  transcribe(samples: Float32Array, options?: { language?: string }): Promise<Transcript>;
  dispose(): Promise<void>;
}

/** Audio the engine cannot take (wrong rate, not finite, too long…); the message names the problem. */
export class AsrInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AsrInputError";
  }
}
