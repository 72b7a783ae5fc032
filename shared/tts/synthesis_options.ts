/**
 * Per-session synthesis options as both ends of the TTS wire see them: the orchestrator sets them in
 * `StartSession`, the worker validates them and hands them to its model.
 *
 * @module
 */

/** Per-session synthesis options; unset fields take the model's defaults. */
export interface SynthesisOptions {
  /** Speaking rate multiplier; 1 = the voice's own rate. */
  speed?: number;
  speakerId?: number;
  noiseScale?: number;
  noiseW?: number;
  language?: string;
}
