/**
 * What a session needs from the TTS side: a speech stream per response, routed to a healthy worker. The router
 * (worker choice from the Redis registry or `TTS_WORKER_ADDRESS`, channel reuse, failover) hides behind this.
 *
 * @module
 */
import type { SynthesisOptions } from "../../shared/tts/mod.ts";

/** One 20 ms frame of agent audio from a worker. */
export interface TtsFrame {
  /** PCM s16le mono 48 kHz; 1920 bytes, except a final frame may carry 0 bytes. */
  pcm: Uint8Array;
  /** Sequence number within the stream, from 1, continuous across failovers. */
  seq: number;
  /** UTF-16 offsets into the concatenated text pushed to this stream that this frame speaks. */
  textStart: number;
  textEnd: number;
  isFinal: boolean;
  /** Name of the worker that produced it. */
  worker: string;
}

/**
 * The audio of one response, produced while its text is still arriving. Iterate it for frames. `pause` stops the
 * worker between frames and `resume` continues with the next unsent frame (nothing lost or repeated); `stop` ends
 * the stream for good. If the worker fails mid-stream the router re-sends the text not yet spoken to another worker
 * within 1 s; the frames continue seamlessly (the consumer sees `onFailover`).
 */
export interface SpeechStream extends AsyncIterable<TtsFrame> {
  /** Appends text; `flush` synthesizes it now instead of waiting for a sentence boundary. */
  push(text: string, options?: { flush?: boolean }): void;
  /** No more text will come. */
  end(): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** Worker currently serving the stream. */
  readonly worker: string;
  /** Called after a failover, with the old and new worker and the text offset synthesis restarted from. */
  onFailover?: (info: { from: string; to: string; fromOffset: number }) => void;
}

/** Options of one speech stream. */
export interface SpeechStreamOptions {
  /** Orchestrator session id (also used as the worker session id prefix). */
  sessionId: string;
  /** Empty: the router's default model (`DEFAULT_MODEL`). */
  modelId?: string;
  options?: SynthesisOptions;
  /** Key the `affinity` policy maps to a worker (e.g. a user id); default: `sessionId`. */
  affinityKey?: string;
}

/** What the workers will really serve for a requested model (see {@linkcode TtsRouter.resolveModel}). */
export interface ModelResolution {
  /** The model id to ask the workers for. */
  model: string;
  /** Set when `model` is a stand-in: no worker serves the requested one, but a worker configured for it fell back. */
  fallback?: { requested: string; served: string; reason: string; worker: string };
}

/** Chooses workers and opens speech streams on them. One per orchestrator process. */
export interface TtsRouter {
  openStream(options: SpeechStreamOptions): Promise<SpeechStream>;
  /**
   * Why no new session can get a worker now because every eligible worker is at its session limit, or null when one
   * has room (or nothing is known). Sessions are refused with `busy` while it says so.
   */
  busy(modelId?: string): string | null;
  /**
   * The model a new session asking for `modelId` (empty: the default) will be served: `modelId` itself while some
   * healthy worker offers it; otherwise, unless fallbacks are refused (`STRICT_CONFIG`), the model a worker that was
   * configured for `modelId` serves instead (its registry record's `modelFallback`), with the worker's reason.
   */
  resolveModel(modelId?: string): ModelResolution;
  /** The orchestrator session is over: ends its worker sessions (their model references) on every worker. */
  endSession(sessionId: string): Promise<void>;
  /** Workers the router can use now (for /health and metrics). */
  workers(): Array<{ name: string; address: string; healthy: boolean; activeSessions: number; queueDepth: number }>;
  close(): Promise<void>;
}
