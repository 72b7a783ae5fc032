/**
 * Worker capacity as the router sees it: every registry record carries its session cap (`load.maxSessions`), and a
 * worker whose slots are all taken is skipped. When every eligible worker is full, a new session is told so at once
 * ({@linkcode WorkersBusyError}, the `busy` event) instead of queueing behind workers that would refuse it.
 *
 * @module
 */
import { status } from "@grpc/grpc-js";
import { hasCapacity, type WorkerCandidate } from "./policy.ts";
import { grpcCode } from "./rpc.ts";

/** Every eligible worker is at its session cap; the message names them and their load. */
export class WorkersBusyError extends Error {
  override name = "WorkersBusyError";
  /** The error code clients see (`error` event, close reason). */
  readonly code = "busy";
}

/** A one-line account of the workers' slots, e.g. `tts-a 4/4, tts-b 4/4`. */
export function describeSlots(candidates: readonly WorkerCandidate[]): string {
  return candidates
    .map((c) => `${c.name} ${Math.max(c.activeSessions, c.localStreams)}/${c.maxSessions || "?"}`)
    .join(", ");
}

/** A {@linkcode WorkersBusyError} when there are workers and none has a free slot; null otherwise. */
export function busyVerdict(candidates: readonly WorkerCandidate[], what: string): WorkersBusyError | null {
  if (!candidates.length || candidates.some(hasCapacity)) return null;
  return new WorkersBusyError(
    `all ${candidates.length} TTS worker(s) that can serve ${what} are at their session limit ` +
      `(${describeSlots(candidates)}); try again shortly`,
  );
}

/** True when a worker refused a session because it is full (`RESOURCE_EXHAUSTED`). */
export function isFullRefusal(error: unknown): boolean {
  return grpcCode(error) === status.RESOURCE_EXHAUSTED;
}
