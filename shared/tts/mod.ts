/**
 * The TTS vocabulary: adapter families, model-id prefixes and synthesis options, shared by workers, the
 * orchestrator and configuration so that neither process imports the other.
 *
 * @module
 */
export * from "./models.ts";
export * from "./synthesis_options.ts";
