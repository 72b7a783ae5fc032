/**
 * The routing policies by name (`ROUTING_POLICY`).
 *
 * @module
 */
import type { RoutingPolicy, RoutingPolicyName } from "../policy.ts";
import { affinityPolicy } from "./affinity.ts";
import { leastLoadedPolicy } from "./least_loaded.ts";
import { roundRobinPolicy } from "./round_robin.ts";

export { affinityPolicy, leastLoadedPolicy, roundRobinPolicy };

/** Creates a fresh policy by name. */
export function createRoutingPolicy(name: RoutingPolicyName): RoutingPolicy {
  switch (name) {
    case "least_loaded":
      return leastLoadedPolicy();
    case "round_robin":
      return roundRobinPolicy();
    case "affinity":
      return affinityPolicy();
    default:
      throw new RangeError(`unknown routing policy "${name}" (use least_loaded, round_robin or affinity)`);
  }
}
