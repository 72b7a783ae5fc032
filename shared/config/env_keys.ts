/**
 * Every environment variable any service reads, derived from the schemas themselves (used by the `.env.example`
 * parity test and by tooling that lists variables).
 *
 * @module
 */
import { deployFields } from "./deploy.ts";
import { orchestratorFields } from "./orchestrator.ts";
import { workerFields } from "./worker.ts";

/** Variable names per service (`deploy`: Caddy, the dev runner and compose). */
export const ENV_KEYS_BY_SERVICE: Readonly<Record<string, readonly string[]>> = {
  worker: Object.keys(workerFields.shape),
  orchestrator: Object.keys(orchestratorFields.shape),
  deploy: Object.keys(deployFields.shape),
};

/** The union of all variable names, sorted. */
export const ALL_ENV_KEYS: ReadonlySet<string> = new Set(Object.values(ENV_KEYS_BY_SERVICE).flat().sort());
