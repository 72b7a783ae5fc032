/**
 * What a routed speech stream needs from its router: a placement on a worker (worker session included), giving it
 * back, and the timeouts. Kept apart so the stream and the router depend on this small seam, not on each other.
 *
 * @module
 */
import type { WorkerChannel } from "./worker_channels.ts";
import type { WorkerSessionLease, WorkerSessionRequest } from "./worker_sessions.ts";

/** A worker session on a chosen worker, ready for a Synthesize call. */
export interface Placement {
  worker: string;
  address: string;
  channel: WorkerChannel;
  lease: WorkerSessionLease;
}

/** What a stream needs from its router. */
export interface StreamHost {
  /** Chooses a worker (avoiding `avoid` when another is available) and holds a worker session there. */
  place(request: RoutedStreamRequest, avoid: ReadonlySet<string>): Promise<Placement>;
  /** Gives a placement back: `reuse` keeps its worker session for the next stream, `discard` ends it. */
  unplace(placement: Placement, outcome: "reuse" | "discard"): void;
  /** The stream is over. */
  closed(stream: { readonly address: string | null }): void;
  readonly controlTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly maxFailovers: number;
}

/** A stream request after defaults were applied. */
export interface RoutedStreamRequest extends WorkerSessionRequest {
  affinityKey: string;
}

/** Why a stream ended early. */
export class SpeechStreamError extends Error {
  override name = "SpeechStreamError";
}
