/**
 * Turns what an {@linkcode AgentResponse} reports into client events, metrics and state machine events for its
 * session, and hands its ending to the session's one place for endings. Reports of a response that is no longer the
 * session's current one are ignored.
 *
 * @module
 */
import { FRAME_MS } from "../../shared/audio/format.ts";
import type { OrchestratorMetrics } from "../metrics/orchestrator_metrics.ts";
import { WorkersBusyError } from "../routing/capacity.ts";
import type { ServerEvent } from "../../shared/protocol/server_events.ts";
import type { AgentResponse, ResponseListener } from "./agent_response.ts";
import type { TurnEvent } from "./turn_state.ts";
import { ResponderError } from "../responder/contract.ts";

/** What a client is told when a turn fails: no internals, the same words whatever went wrong. */
const CLIENT_MESSAGES = {
  responder_failed: "the assistant could not answer this turn; try again",
  tts_failed: "speech synthesis failed for this turn; try again",
} as const;

/** How a response ended. */
export type ResponseOutcome =
  | { type: "done" }
  | { type: "failed"; kind: "responder" | "tts"; error: Error }
  | { type: "stopped"; reason: Extract<ServerEvent, { type: "response.interrupted" }>["reason"] };

/** What a response reports into: narrow views of its session. */
export interface ResponseHost {
  /** The session's current response. */
  current(): AgentResponse | null;
  /** The current user turn. */
  turn(): number;
  metrics(): OrchestratorMetrics | undefined;
  emit(event: ServerEvent): void;
  dispatch(event: TurnEvent): void;
  /** Books the end of the response (see `Session`'s `#concludeResponse`). */
  conclude(response: AgentResponse, outcome: ResponseOutcome): void;
}

/** Creates the listener the session gives each of its responses. */
export function responseListener(host: ResponseHost): ResponseListener {
  const current = (response: AgentResponse) => host.current() === response;
  return {
    onFirstText(response, atMs) {
      const { timing } = response;
      // An early response (early_response.ts) had its first text before its final was the turn's: that counts as 0.
      if (current(response) && timing.finalAt !== undefined) {
        host.metrics()?.responderFirstText.observe(Math.max(0, atMs - timing.finalAt));
      }
    },
    onSentence(response, text, textStart, textEnd) {
      if (current(response)) host.emit({ type: "response.text", responseId: response.id, text, textStart, textEnd });
    },
    onFirstAudioReceived(response, atMs) {
      const { timing } = response;
      if (current(response) && timing.ttsTextPushedAt !== undefined) {
        host.metrics()?.ttsFirstAudio.observe(atMs - timing.ttsTextPushedAt);
      }
    },
    onFirstFrameSent(response) {
      if (!current(response)) return;
      const metrics = response.timing.metrics();
      if (metrics.voice_to_voice_ms !== undefined) host.metrics()?.voiceToVoice.observe(metrics.voice_to_voice_ms);
      if (metrics.endpoint_ms !== undefined) host.metrics()?.endpoint.observe(metrics.endpoint_ms);
      if (metrics.asr_final_ms !== undefined) host.metrics()?.asrFinal.observe(metrics.asr_final_ms);
      host.emit({ type: "metrics", turn: host.turn(), responseId: response.id, metrics });
      host.dispatch({ type: "response_audio" });
    },
    onDone(response) {
      if (current(response)) host.conclude(response, { type: "done" });
    },
    onFailed(response, kind, error) {
      if (current(response)) host.conclude(response, { type: "failed", kind, error });
    },
  };
}

/** The client event that books the end of a response: `response.done`, `error` or `response.interrupted`. */
export function endEvent(response: AgentResponse, outcome: ResponseOutcome, heard: string): ServerEvent {
  switch (outcome.type) {
    case "done":
      return {
        type: "response.done",
        responseId: response.id,
        text: response.pushedText.trim(),
        audioMs: response.framesSent * FRAME_MS,
        frames: response.framesSent,
        seqGaps: response.seqGaps,
      };
    case "failed": {
      // The detail (upstream URLs, host names, worker errors) goes to the log only; the client gets a fixed text.
      // Every worker full: the client hears `busy` and may try again, as it would at session start.
      if (outcome.error instanceof WorkersBusyError) {
        return { type: "error", code: "busy", message: outcome.error.message, fatal: false };
      }
      const code = outcome.kind === "responder" ? "responder_failed" : "tts_failed";
      const limited = outcome.error instanceof ResponderError && outcome.error.kind === "rate_limited";
      const message = limited ? "too many turns for this credential; wait a moment" : CLIENT_MESSAGES[code];
      return { type: "error", code, message, fatal: false };
    }
    case "stopped":
      return { type: "response.interrupted", responseId: response.id, heardText: heard, reason: outcome.reason };
  }
}
