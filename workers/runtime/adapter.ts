/**
 * The TTS adapter contract: what a model family (mock, piper, cosyvoice2) implements so the shared worker runtime
 * can serve it over gRPC. The runtime owns sessions, framing, sequence numbers, pause/resume/stop, the model
 * manager and the registry; an adapter only catalogues, loads and runs models.
 *
 * Streaming rule: `LoadedModel.synthesize` yields each chunk of audio as soon as it exists. The runtime pulls from
 * it only while the session is not paused, so a paused session costs no compute and resumes exactly where it was.
 *
 * @module
 */

import type { AdapterType, SynthesisOptions } from "../../shared/tts/mod.ts";

// The vocabulary both ends of the TTS wire speak lives in shared/tts; adapters keep importing it from here.
export { type AdapterType, MODEL_ID_PREFIX, type SynthesisOptions } from "../../shared/tts/mod.ts";

/** A model an adapter can load, as found in its catalogue. */
export interface ModelDescriptor {
  /** Model id, e.g. `piper-en-us-joe-medium`. */
  id: string;
  adapter: AdapterType;
  /** BCP-47 language, e.g. `en-US`. */
  language: string;
  /** The model's own output rate; the adapter resamples to 48 kHz. */
  nativeSampleRate: number;
  numSpeakers: number;
  description?: string;
}

/**
 * One piece of input text with its UTF-16 offsets in the concatenation of the stream's text.
 * `flush` asks the adapter to synthesize what it has buffered now instead of waiting for a sentence boundary.
 */
export interface TextPiece {
  text: string;
  start: number;
  end: number;
  flush?: boolean;
}

/** Audio for a span of input text: PCM s16 mono at 48 kHz, any length (the runtime cuts it into 20 ms frames). */
export interface AudioChunk {
  pcm: Int16Array;
  /** UTF-16 offsets of the text this audio speaks (see {@linkcode TextPiece}). */
  textStart: number;
  textEnd: number;
}

/** A model resident in memory, shareable by many sessions at once. */
export interface LoadedModel {
  readonly descriptor: ModelDescriptor;
  /** Runs a short synthesis so that the first real request does not pay first-run costs. */
  warmup(): Promise<void>;
  /**
   * Turns a stream of text into a stream of 48 kHz audio. Must keep no state between calls other than the weights:
   * two concurrent calls never disturb each other. Stops promptly when `signal` aborts.
   */
  synthesize(
    input: AsyncIterable<TextPiece>,
    options: SynthesisOptions,
    signal: AbortSignal,
  ): AsyncIterable<AudioChunk>;
  /** Measured real-time factor so far (compute seconds / audio seconds); 0 when nothing was measured yet. */
  rtf(): number;
  dispose(): Promise<void>;
}

/** A model family: its catalogue and its loader. */
export interface TtsAdapter {
  readonly type: AdapterType;
  /** Where inference runs, e.g. `cpu` or `cuda:0`. */
  readonly device: string;
  /** Every model this adapter can load right now (e.g. the voicepacks on disk). */
  listModels(): Promise<ModelDescriptor[]>;
  /** Loads a model. Throws {@linkcode ModelNotFoundError} or {@linkcode ModelLoadError}. */
  load(modelId: string, signal?: AbortSignal): Promise<LoadedModel>;
}

/** The requested model id is not in the adapter's catalogue. */
export class ModelNotFoundError extends Error {
  constructor(readonly modelId: string, detail = "") {
    super(`model "${modelId}" not found${detail ? `: ${detail}` : ""}`);
    this.name = "ModelNotFoundError";
  }
}

/** The model exists but could not be loaded (corrupt weights, bad config). */
export class ModelLoadError extends Error {
  constructor(readonly modelId: string, detail: string, options?: ErrorOptions) {
    super(`model "${modelId}" failed to load: ${detail}`, options);
    this.name = "ModelLoadError";
  }
}
