/**
 * `least_loaded` (the default): the worker with the lowest share of busy session slots, then the shortest compute
 * queue, then the fewest streams from this orchestrator, preferring workers that have the model resident.
 *
 * @module
 */
import { preferred, type RoutingPolicy, utilisation, type WorkerCandidate } from "../policy.ts";

/** Creates the `least_loaded` policy. */
export function leastLoadedPolicy(): RoutingPolicy {
  return {
    name: "least_loaded",
    choose(candidates: readonly WorkerCandidate[]): WorkerCandidate {
      return [...preferred(candidates)].sort((a, b) =>
        utilisation(a) - utilisation(b) ||
        a.queueDepth - b.queueDepth ||
        a.localStreams - b.localStreams ||
        a.name.localeCompare(b.name)
      )[0];
    },
  };
}
