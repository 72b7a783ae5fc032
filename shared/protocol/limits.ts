/**
 * Limits and close codes of the client protocol (see `docs/protocol.md`). Shared by every transport and by clients,
 * so both sides agree on what a violation is.
 *
 * @module
 */

/** Sample rates a client may declare for its microphone audio, in Hz. */
export const ALLOWED_INPUT_RATES = [16_000, 48_000] as const;

/** A declared input rate. */
export type InputSampleRate = typeof ALLOWED_INPUT_RATES[number];

/** Bounds a server enforces on one connection. Every field can be tightened by configuration. */
export interface ProtocolLimits {
  /** Longest JSON (text) message, in bytes. */
  maxJsonBytes: number;
  /** Longest audio message, in milliseconds of audio at the declared rate. */
  maxAudioFrameMs: number;
  /** Longest `text` message, in characters. */
  maxTextChars: number;
  /**
   * Audio the client may send ahead of real time before it counts as a flood, in milliseconds. It also absorbs
   * server stalls: audio that queued up while the server was busy arrives in one burst.
   */
  audioBurstMs: number;
  /** JSON messages per second allowed on average, and the burst allowed above it. */
  jsonPerSecond: number;
  jsonBurst: number;
  /** Time a connection may stay open without `session.start`, in milliseconds. */
  startTimeoutMs: number;
  /** Concurrent sessions one API key (or token subject) may hold. */
  maxSessionsPerKey: number;
  /** Concurrent connections the whole server accepts (authenticated or not). */
  maxConnections: number;
  /** Concurrent connections one client address may hold (answered with HTTP 429 before the upgrade). */
  maxConnectionsPerAddress: number;
}

/** The defaults: generous for real clients, tight enough that a hostile one cannot hurt the server. */
export const DEFAULT_LIMITS: ProtocolLimits = {
  maxJsonBytes: 16 * 1024,
  maxAudioFrameMs: 100,
  maxTextChars: 2_000,
  audioBurstMs: 5_000,
  jsonPerSecond: 20,
  jsonBurst: 40,
  // A connection that does not start a session holds a slot: 3 s is plenty for a client that means to.
  startTimeoutMs: 3_000,
  maxSessionsPerKey: 8,
  maxConnections: 512,
  maxConnectionsPerAddress: 16,
};

/** WebSocket close codes the server uses (4000–4999 are application codes). */
export const CloseCode = {
  /** `session.end` or a normal shutdown of the session. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** A protocol rule was broken (bad JSON, wrong type, wrong frame size, flood…). */
  policyViolation: 1008,
  /** A message exceeded its size limit. */
  messageTooBig: 1009,
  /** The server failed; the session cannot continue. */
  internalError: 1011,
  /** No or bad credentials. */
  unauthorized: 4001,
  /** Every TTS worker is at its session limit: try again later (RFC 6455's 1013). */
  tryAgainLater: 1013,
  /** The key already holds its maximum number of sessions, or the server is full. */
  tooManySessions: 4029,
  /** No `session.start` in time. */
  startTimeout: 4008,
} as const;

/** Error codes carried by `error` events. */
export type ErrorCode =
  | "unauthorized"
  | "too_many_sessions"
  | "server_full"
  | "busy"
  | "start_timeout"
  | "bad_json"
  | "bad_message"
  | "message_too_big"
  | "text_too_long"
  | "bad_audio"
  | "audio_before_start"
  | "duplicate_start"
  | "flood"
  | "unsupported_rate"
  | "unknown_model"
  | "responder_failed"
  | "tts_failed"
  | "asr_failed"
  | "internal";

/** Largest audio message in bytes for a declared rate (s16le mono). */
export function maxAudioBytes(sampleRate: number, limits: ProtocolLimits = DEFAULT_LIMITS): number {
  return Math.floor((sampleRate * limits.maxAudioFrameMs) / 1000) * 2;
}
