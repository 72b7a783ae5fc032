/**
 * The pocketsphinx ASR engine (Debian `pocketsphinx` + `pocketsphinx-en-us`, in-process through FFI).
 *
 * @module
 */
export { createPocketsphinxEngine, type PocketsphinxEngineOptions } from "./engine.ts";
export { checkModelDir, DEFAULT_POCKETSPHINX_MODEL_DIR, MODEL_FILES } from "./decoder.ts";
export { PocketsphinxUnavailableError } from "./ffi.ts";
export { checkSamples, MAX_ABS_SAMPLE } from "./samples.ts";
