/**
 * TTS worker routing for the orchestrator: {@linkcode WorkerRouter} implements the {@linkcode TtsRouter} contract.
 *
 * @module
 */
export type { SpeechStream, SpeechStreamOptions, TtsFrame, TtsRouter } from "./contract.ts";
export {
  NoWorkerAvailableError,
  WorkerRouter,
  type WorkerRouterConfig,
  type WorkerRouterOptions,
} from "./worker_router.ts";
export { SpeechStreamError } from "./stream_host.ts";
export {
  ROUTING_POLICY_NAMES,
  type RoutingPolicy,
  type RoutingPolicyName,
  type RoutingRequest,
  type WorkerCandidate,
} from "./policy.ts";
export { createRoutingPolicy } from "./policies/mod.ts";
