/**
 * `affinity`: the same key (the affinity key, by default the session id) always maps to the same worker while
 * that worker stays healthy, across orchestrator restarts and instances, by rendezvous (highest random weight)
 * hashing. When a worker leaves, only its keys move; when one joins, it takes only its fair share.
 *
 * @module
 */
import { hasCapacity, type RoutingPolicy, type RoutingRequest, type WorkerCandidate } from "../policy.ts";

/** Creates the `affinity` policy. */
export function affinityPolicy(): RoutingPolicy {
  return {
    name: "affinity",
    choose(candidates: readonly WorkerCandidate[], request: RoutingRequest): WorkerCandidate {
      // A full worker would refuse the session anyway; skipping it keeps the other keys where they are.
      const pool = candidates.some(hasCapacity) ? candidates.filter(hasCapacity) : candidates;
      let best = pool[0];
      let bestWeight = -1;
      for (const candidate of pool) {
        const weight = fnv1a(`${request.affinityKey}\u0000${candidate.name}`);
        if (weight > bestWeight) [best, bestWeight] = [candidate, weight];
      }
      return best;
    },
  };
}

/** 32-bit FNV-1a with a final avalanche, enough to spread keys evenly; not cryptographic. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
