/**
 * Voice activity detection: load the Silero model once per process, then make one stream per session.
 *
 * ```ts
 * const model = await loadVadModel(config);
 * const vad = model.createStream(vadOptionsFromConfig(config));
 * for (const event of await vad.push(samples16kFloat)) console.log(event.type, event.streamMs);
 * ```
 *
 * @module
 */
import type { OrchestratorConfig } from "../../shared/config/orchestrator.ts";
import type { VadOptions } from "./contract.ts";
import { validateVadOptions } from "./segmenter.ts";
import { SileroVadModel } from "./silero_model.ts";

export type { VadEvent, VadOptions, VadStream } from "./contract.ts";
export { NEG_THRESHOLD_OFFSET, SpeechSegmenter, validateVadOptions } from "./segmenter.ts";
export { DEFAULT_SILERO_MODEL_PATH, SileroVadModel } from "./silero_model.ts";
export { CONTEXT_SAMPLES, WINDOW_SAMPLES } from "./silero_stream.ts";

/** The config keys the VAD reads. */
export type VadConfig = Pick<
  OrchestratorConfig,
  "VAD_MODEL_PATH" | "VAD_THRESHOLD" | "VAD_MIN_SPEECH_MS" | "VAD_MIN_SILENCE_MS" | "VAD_SPEECH_PAD_MS"
>;

/** Stream options from config (validated: a bad value throws a RangeError naming it). */
export function vadOptionsFromConfig(config: Omit<VadConfig, "VAD_MODEL_PATH">): VadOptions {
  return validateVadOptions({
    threshold: config.VAD_THRESHOLD,
    minSpeechMs: config.VAD_MIN_SPEECH_MS,
    minSilenceMs: config.VAD_MIN_SILENCE_MS,
    speechPadMs: config.VAD_SPEECH_PAD_MS,
  });
}

/** Loads the shared Silero model named by `VAD_MODEL_PATH`. */
export function loadVadModel(config: Pick<VadConfig, "VAD_MODEL_PATH">): Promise<SileroVadModel> {
  return SileroVadModel.load(config.VAD_MODEL_PATH);
}
