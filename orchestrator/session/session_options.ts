/**
 * What a session (`session.ts`) is made of: its settings (from config and `session.start`) and the shared parts it
 * uses (responder, router, metrics) next to its own (output, speech input, clock).
 *
 * @module
 */
import type { SynthesisOptions } from "../../shared/tts/mod.ts";
import type { OrchestratorMetrics } from "../metrics/orchestrator_metrics.ts";
import type { Responder } from "../responder/contract.ts";
import type { TtsRouter } from "../routing/contract.ts";
import type { AgentOutput } from "../transports/contract.ts";
import type { Clock } from "./clock.ts";
import type { SpeechInput, SpeechInputListener } from "./speech_input.ts";

/** Per-session settings, resolved from config and `session.start`. */
export interface SessionSettings {
  falseInterruptionMs: number;
  bargeInGuardMs: number;
  /**
   * Pause the agent's audio at the first window the VAD rates speech instead of at its decision (default true); the
   * audio goes on unchanged when the VAD drops the candidate.
   */
  earlyHold?: boolean;
  /**
   * Decode the final when the VAD first hears silence, and prepare the answer on it, adopted at the endpoint if no
   * speech came back (default true; see `early_response.ts`).
   */
  speculative?: boolean;
  pacerLeadMs: number;
  language: string;
  /** TTS model id; empty: the router's default. */
  model: string;
  voice: SynthesisOptions;
  /** Key the router's `affinity` policy uses (the credential's principal). */
  affinityKey?: string;
}

/** Everything a session is made of. */
export interface SessionOptions {
  id: string;
  output: AgentOutput;
  clock: Clock;
  settings: SessionSettings;
  createSpeechInput: (listener: SpeechInputListener) => SpeechInput;
  responder: Responder;
  router: TtsRouter;
  metrics?: OrchestratorMetrics;
  /** Called once when the session has ended. */
  onEnded?: () => void;
}
