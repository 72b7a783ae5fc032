/**
 * `round_robin`: each new session goes to the next worker in name order, among those with the model resident and a
 * free slot when there are any.
 *
 * @module
 */
import { preferred, type RoutingPolicy, type WorkerCandidate } from "../policy.ts";

/** Creates a `round_robin` policy with its own rotation. */
export function roundRobinPolicy(): RoutingPolicy {
  // Rotating by the last name chosen (not an index) stays fair when workers join or leave between picks.
  let last = "";
  return {
    name: "round_robin",
    choose(candidates: readonly WorkerCandidate[]): WorkerCandidate {
      const pool = preferred(candidates);
      const next = pool.find((c) => c.name > last) ?? pool[0];
      last = next.name;
      return next;
    },
  };
}
