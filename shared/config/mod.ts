/**
 * Validated configuration for every service. Start a service with `loadWorkerConfigOrExit()` or
 * `loadOrchestratorConfigOrExit()`; use `loadConfig` in tests to see the problems instead of exiting.
 *
 * @module
 */
export * from "./common.ts";
export * from "./deploy.ts";
export * from "./env_keys.ts";
export * from "./fields.ts";
export * from "./gpu.ts";
export * from "./load.ts";
export * from "./orchestrator.ts";
export * from "./problem.ts";
export * from "./rules.ts";
export * from "./worker.ts";
export * from "./piper_voice_url.ts";
