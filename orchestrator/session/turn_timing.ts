/**
 * The timestamps of one turn (clock ms) and the per-turn latencies derived from them, named as in the design notes.
 *
 * @module
 */
import type { TurnMetrics } from "../../shared/protocol/server_events.ts";

/** Timestamps collected while a turn runs; each is set once. */
export class TurnTiming {
  /** End of user speech (the VAD boundary, mapped to arrival time). */
  speechEndAt?: number;
  /** The VAD decided the turn ended (after the min-silence wait). */
  endpointAt?: number;
  /** Final transcript available (or text input received). */
  finalAt?: number;
  asrComputeMs?: number;
  firstTextAt?: number;
  ttsTextPushedAt?: number;
  firstAudioReceivedAt?: number;
  firstFrameSentAt?: number;

  /** The latencies known so far (rounded to 0.1 ms). */
  metrics(): TurnMetrics {
    const out: TurnMetrics = {};
    const span = (from?: number, to?: number) =>
      from !== undefined && to !== undefined ? Math.max(0, Math.round((to - from) * 10) / 10) : undefined;
    const set = (key: keyof TurnMetrics, value: number | undefined) => {
      if (value !== undefined) out[key] = value;
    };
    set("endpoint_ms", span(this.speechEndAt, this.endpointAt));
    set("asr_final_ms", span(this.endpointAt, this.finalAt));
    set("asr_compute_ms", this.asrComputeMs === undefined ? undefined : Math.round(this.asrComputeMs * 10) / 10);
    set("responder_first_text_ms", span(this.finalAt, this.firstTextAt));
    set("tts_first_audio_ms", span(this.ttsTextPushedAt, this.firstAudioReceivedAt));
    set("voice_to_voice_ms", span(this.speechEndAt, this.firstFrameSentAt));
    return out;
  }
}
