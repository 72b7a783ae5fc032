/**
 * The bounds one gRPC client can push a worker to: text per chunk, per stream and waiting in a stream's queue, how
 * long a Synthesize call may sit without its first chunk, and how long an idle session lives without renewal.
 *
 * @module
 */

/** Limits of one worker (see the `WORKER_*` variables in docs/CONFIGURATION.md). */
export interface WorkerLimits {
  /** Longest TextChunk.text (UTF-16 code units): `WORKER_MAX_TEXT_CHARS`. */
  maxTextChars: number;
  /** Most text one Synthesize stream may carry in total: `WORKER_MAX_STREAM_CHARS`. */
  maxStreamChars: number;
  /**
   * Text received but not yet taken by the adapter, per stream: above it the worker stops reading the call (HTTP/2
   * flow control then holds the client back); a client that keeps pushing past twice the limit is refused.
   * `WORKER_MAX_QUEUED_CHARS`.
   */
  maxQueuedChars: number;
  /** A Synthesize call without its first TextChunk after this long is ended: `WORKER_FIRST_CHUNK_TIMEOUT_MS`. */
  firstChunkTimeoutMs: number;
  /** An idle session not renewed for this long is ended by the worker: `WORKER_SESSION_LEASE_MS`. */
  sessionLeaseMs: number;
}

/** The defaults, also the config defaults. */
export const DEFAULT_WORKER_LIMITS: WorkerLimits = {
  maxTextChars: 4000,
  maxStreamChars: 100_000,
  maxQueuedChars: 16_000,
  firstChunkTimeoutMs: 30_000,
  sessionLeaseMs: 60_000,
};
