/**
 * How the router picks a worker for a new session among the eligible ones. Every policy sees the same candidate
 * list (healthy workers that have the model resident or can load it) and returns one of them. One file per policy.
 *
 * @module
 */

/** A worker the router could send a session to. */
export interface WorkerCandidate {
  /** Registry name (`static:<address>` for the `TTS_WORKER_ADDRESS` fallback). */
  name: string;
  /** `host:port` to dial. */
  address: string;
  /** The requested model is resident (no load needed). */
  resident: boolean;
  /** Sessions open on the worker, as last reported. */
  activeSessions: number;
  /** Session cap of the worker; 0 when unknown. */
  maxSessions: number;
  /** Synthesize streams waiting for compute, as last reported. */
  queueDepth: number;
  /** Streams this orchestrator runs on the worker right now (fresher than the registry's figures). */
  localStreams: number;
  /** True for the static fallback address (no registry record). */
  isStatic: boolean;
}

/** What a session asks the policy for. */
export interface RoutingRequest {
  sessionId: string;
  /** Model id ("" = the workers' default). */
  modelId: string;
  /** Key that `affinity` maps to a worker (default: the session id). */
  affinityKey: string;
}

/** A worker-choice strategy. `candidates` is non-empty, sorted by name, and holds only eligible workers. */
export interface RoutingPolicy {
  readonly name: RoutingPolicyName;
  choose(candidates: readonly WorkerCandidate[], request: RoutingRequest): WorkerCandidate;
}

/** Names accepted by `ROUTING_POLICY`. */
export const ROUTING_POLICY_NAMES = ["least_loaded", "round_robin", "affinity"] as const;
/** One of {@linkcode ROUTING_POLICY_NAMES}. */
export type RoutingPolicyName = typeof ROUTING_POLICY_NAMES[number];

/** Fraction of a worker's session slots in use, counting streams this orchestrator just opened there. */
export function utilisation(candidate: WorkerCandidate): number {
  const busy = Math.max(candidate.activeSessions, candidate.localStreams);
  return candidate.maxSessions > 0 ? busy / candidate.maxSessions : busy;
}

/** True while the worker has a free session slot (unknown caps count as free). */
export function hasCapacity(candidate: WorkerCandidate): boolean {
  return candidate.maxSessions <= 0 ||
    Math.max(candidate.activeSessions, candidate.localStreams) < candidate.maxSessions;
}

/**
 * The candidates worth considering first: those with the model resident and a free slot (no load wait), else those
 * with a free slot, else all (the worker's own admission check has the final say).
 */
export function preferred(candidates: readonly WorkerCandidate[]): readonly WorkerCandidate[] {
  const free = candidates.filter(hasCapacity);
  const residentFree = free.filter((c) => c.resident);
  if (residentFree.length) return residentFree;
  return free.length ? free : candidates;
}
