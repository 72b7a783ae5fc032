/**
 * Whisper ASR on onnxruntime-node. `createWhisperEngine(config)` builds the engine from the orchestrator config
 * (`ASR_MODELS_DIR`, `ASR_MODEL_SIZE`, `ASR_LANGUAGE`, `ASR_DEVICE`, `ASR_PARTIAL_INTERVAL_MS`,
 * `ASR_FINAL_WINDOW`, `ASR_FIT_PADDING_FRAMES`).
 *
 * @module
 */
import { resolveAsrDevice } from "../../../shared/config/gpu.ts";
import type { OrchestratorConfig } from "../../../shared/config/orchestrator.ts";
import { WhisperEngine } from "./engine.ts";

/** The engine and its options. */
export { WhisperEngine, type WhisperEngineOptions } from "./engine.ts";
/** Model lookup, and the error for a missing model (engine selection falls back to pocketsphinx on it). */
export { locateModel, WHISPER_SIZES, WhisperModelError } from "./model_info.ts";

/** The config keys the engine reads. */
export type WhisperConfig = Pick<
  OrchestratorConfig,
  | "ASR_MODELS_DIR"
  | "ASR_MODEL_SIZE"
  | "ASR_LANGUAGE"
  | "ASR_DEVICE"
  | "ASR_PARTIAL_INTERVAL_MS"
  | "ASR_FINAL_WINDOW"
  | "ASR_FIT_PADDING_FRAMES"
  | "STRICT_CONFIG"
>;

/** Loads the configured Whisper model; throws `WhisperModelError` with the command that fetches it when absent. */
export function createWhisperEngine(config: WhisperConfig): Promise<WhisperEngine> {
  return WhisperEngine.load({
    modelsDir: config.ASR_MODELS_DIR,
    size: config.ASR_MODEL_SIZE,
    language: config.ASR_LANGUAGE ?? "en",
    device: resolveAsrDevice(config.ASR_DEVICE),
    partialIntervalMs: config.ASR_PARTIAL_INTERVAL_MS,
    finalWindow: config.ASR_FINAL_WINDOW,
    fitPaddingFrames: config.ASR_FIT_PADDING_FRAMES,
    strict: config.STRICT_CONFIG,
  });
}
