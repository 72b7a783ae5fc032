/**
 * Turns what an {@linkcode AgentResponse} reports into client events, metrics, conversation entries and state
 * machine events for its session. Reports of a response that is no longer the session's current one are ignored.
 *
 * @module
 */
import { FRAME_MS } from "../../shared/audio/format.ts";
import { getLogger } from "../../shared/log/mod.ts";
import type { OrchestratorMetrics } from "../metrics/orchestrator_metrics.ts";
import type { ServerEvent } from "../../shared/protocol/server_events.ts";
import type { AgentResponse, ResponseListener } from "./agent_response.ts";
import type { Conversation } from "./conversation.ts";
import type { TurnEvent } from "./turn_state.ts";

const log = getLogger("orchestrator", "response");

/** The parts of a session a response reports into. */
export interface ResponseHost {
  readonly response: AgentResponse | null;
  readonly conversation: Conversation;
  readonly turn: number;
  readonly metrics?: OrchestratorMetrics;
  emit(event: ServerEvent): void;
  dispatch(event: TurnEvent): void;
  /** Forgets the current response (and drops its unsent audio). */
  releaseResponse(): void;
}

/** Creates the listener of a response; `get` returns the response once constructed. */
export function responseListener(host: ResponseHost, get: () => AgentResponse): ResponseListener {
  const current = () => host.response !== null && host.response === get();
  return {
    onFirstText(atMs) {
      const { timing } = get();
      if (current() && timing.finalAt !== undefined) host.metrics?.responderFirstText.observe(atMs - timing.finalAt);
    },
    onSentence(text, textStart, textEnd) {
      if (current()) host.emit({ type: "response.text", responseId: get().id, text, textStart, textEnd });
    },
    onFirstAudioReceived(atMs) {
      const { timing } = get();
      if (current() && timing.ttsTextPushedAt !== undefined) {
        host.metrics?.ttsFirstAudio.observe(atMs - timing.ttsTextPushedAt);
      }
    },
    onFirstFrameSent() {
      if (!current()) return;
      const response = get();
      const metrics = response.timing.metrics();
      if (metrics.voice_to_voice_ms !== undefined) host.metrics?.voiceToVoice.observe(metrics.voice_to_voice_ms);
      if (metrics.endpoint_ms !== undefined) host.metrics?.endpoint.observe(metrics.endpoint_ms);
      if (metrics.asr_final_ms !== undefined) host.metrics?.asrFinal.observe(metrics.asr_final_ms);
      host.emit({ type: "metrics", turn: host.turn, responseId: response.id, metrics });
      host.dispatch({ type: "response_audio" });
    },
    onDone() {
      if (!current()) return;
      const response = get();
      const text = response.spokenText.trim();
      host.conversation.addUser(response.input);
      host.conversation.addAssistant(text);
      host.releaseResponse();
      // One line per answered turn with its figures; the ids are explicit because the pacer's timer, not the
      // response's call tree, reports the end.
      log.info("response {request_id} done: {frames} frames, voice_to_voice_ms {v2v}", {
        request_id: response.id,
        frames: response.framesSent,
        v2v: response.timing.metrics().voice_to_voice_ms,
        ...response.timing.metrics(),
      });
      host.emit({
        type: "response.done",
        responseId: response.id,
        text,
        audioMs: response.framesSent * FRAME_MS,
        frames: response.framesSent,
        seqGaps: response.seqGaps,
      });
      host.dispatch({ type: "response_done" });
    },
    onFailed(kind, error) {
      if (!current()) return;
      const response = get();
      const heard = response.heardText();
      host.conversation.addUser(response.input);
      host.conversation.addAssistant(heard, heard.length < response.spokenText.trim().length);
      host.releaseResponse();
      const code = kind === "responder" ? "responder_failed" : "tts_failed";
      log.warn("response {request_id} failed ({code}): {error}", {
        request_id: response.id,
        code,
        error: error.message,
      });
      host.metrics?.errors.inc({ code });
      host.emit({ type: "error", code, message: `${kind} failed: ${error.message}`, fatal: false });
      host.dispatch({ type: "response_failed" });
    },
  };
}
