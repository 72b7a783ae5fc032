/**
 * JSON events the server sends (server → client), as zod schemas shared by the server and the clients.
 * Binary messages from the server are agent audio: PCM s16le mono 48 kHz, 20 ms (1920 bytes) each, paced in real
 * time.
 *
 * @module
 */
import { z } from "zod";

const turn = z.int().min(1);
const ms = z.number().min(0);

/** Per-turn latencies, named as in the design notes (all in milliseconds; absent when not measured). */
export const TurnMetricsSchema = z.strictObject({
  /** VAD speech end (stream boundary) → endpoint decision (the min-silence wait). */
  endpoint_ms: ms.optional(),
  /** Endpoint decision → final transcript available. */
  asr_final_ms: ms.optional(),
  /** Compute spent by the ASR on the final transcript. */
  asr_compute_ms: ms.optional(),
  /** Final transcript → first text from the responder. */
  responder_first_text_ms: ms.optional(),
  /** First text pushed to the worker → first audio frame back from it. */
  tts_first_audio_ms: ms.optional(),
  /** End of user speech (VAD boundary) → first agent frame sent to the transport. */
  voice_to_voice_ms: ms.optional(),
  /** Arrival of the audio that revealed user speech during agent speech → last agent frame sent. */
  barge_in_ms: ms.optional(),
  /** Start of the first VAD window rated speech in the interruption (its onset) → last agent frame sent. */
  barge_in_onset_ms: ms.optional(),
});

const events = [
  z.strictObject({
    type: z.literal("session.started"),
    sessionId: z.string(),
    model: z.string(),
    responder: z.string(),
    language: z.string(),
    inputSampleRate: z.int(),
    outputSampleRate: z.int(),
    frameMs: z.int(),
  }),
  z.strictObject({ type: z.literal("state"), state: z.string() }),
  z.strictObject({ type: z.literal("speech.started"), turn, streamMs: ms }),
  z.strictObject({ type: z.literal("speech.stopped"), turn, streamMs: ms }),
  z.strictObject({ type: z.literal("transcript.partial"), turn, text: z.string() }),
  z.strictObject({
    type: z.literal("transcript.final"),
    turn,
    text: z.string(),
    language: z.string(),
    confidence: z.number(),
    audioSeconds: ms,
  }),
  z.strictObject({ type: z.literal("response.started"), turn, responseId: z.string(), input: z.string() }),
  z.strictObject({
    type: z.literal("response.text"),
    responseId: z.string(),
    text: z.string(),
    textStart: z.int().min(0),
    textEnd: z.int().min(0),
  }),
  z.strictObject({
    type: z.literal("response.interrupted"),
    responseId: z.string(),
    /** The agent text whose audio was actually sent before the interruption. */
    heardText: z.string(),
    reason: z.enum(["barge_in", "client_interrupt", "client_stop", "text_input"]),
  }),
  z.strictObject({
    type: z.literal("response.done"),
    responseId: z.string(),
    text: z.string(),
    audioMs: ms,
    /** Agent frames sent for this response. */
    frames: z.int().min(0),
    /** Frames the worker side delivered out of sequence (gaps or repeats); 0 when the audio is intact. */
    seqGaps: z.int().min(0),
  }),
  z.strictObject({ type: z.literal("metrics"), turn, responseId: z.string().optional(), metrics: TurnMetricsSchema }),
  z.strictObject({ type: z.literal("error"), code: z.string(), message: z.string(), fatal: z.boolean() }),
  /**
   * Something works, but not as configured. `tts_model_fallback`: no TTS worker serves the `requested` model; a
   * worker configured for it serves `served` instead (e.g. the mock, when its voicepack is missing), for `reason`.
   */
  z.strictObject({
    type: z.literal("warning"),
    code: z.literal("tts_model_fallback"),
    requested: z.string(),
    served: z.string(),
    reason: z.string(),
  }),
] as const;

/** Any event the server sends. */
export const ServerEventSchema = z.discriminatedUnion("type", events);

/** A server event. */
export type ServerEvent = z.infer<typeof ServerEventSchema>;
/** The names of server events. */
export type ServerEventType = ServerEvent["type"];
/** Per-turn latencies as sent in `metrics` events. */
export type TurnMetrics = z.infer<typeof TurnMetricsSchema>;
/** Reasons a response can be interrupted. */
export type InterruptReason = Extract<ServerEvent, { type: "response.interrupted" }>["reason"];
