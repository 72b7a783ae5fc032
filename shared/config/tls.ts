/**
 * The TLS variables of the worker link, on both sides (see `shared/security/worker_tls.ts` for what they do). The
 * schema checks only which ones go together; the files are read and checked when the service starts.
 *
 * @module
 */
import { stringField } from "./fields.ts";
import type { CrossFieldRule } from "./rules.ts";

/** The worker's TLS server: certificate, key, and the client CA that turns on mTLS. */
export const workerTlsFields = {
  WORKER_TLS_CERT: stringField(),
  WORKER_TLS_KEY: stringField(),
  /** Set: every client must present a certificate signed by this CA (mutual TLS). */
  WORKER_TLS_CA: stringField(),
};

/** The orchestrator's TLS client to the workers: the CA they are verified against, and a client certificate. */
export const orchestratorWorkerTlsFields = {
  /** Set: workers are dialled over TLS and verified against this CA; plaintext workers are not used. */
  ORCHESTRATOR_WORKER_TLS_CA: stringField(),
  ORCHESTRATOR_WORKER_TLS_CERT: stringField(),
  ORCHESTRATOR_WORKER_TLS_KEY: stringField(),
};

type Values = Record<string, unknown>;

/** `needer` set needs every one of `needed` set. */
function needs<T extends Values>(
  needer: keyof T & string,
  needed: (keyof T & string)[],
  fix: string,
): CrossFieldRule<T> {
  return {
    reads: [needer, ...needed],
    check: (v) => {
      if (!v[needer]) return undefined;
      const missing = needed.filter((name) => !v[name]);
      return missing.length ? { variable: missing[0], problem: `is required when ${needer} is set`, fix } : undefined;
    },
  };
}

/** Which worker TLS variables go together. */
export function workerTlsRules<T extends Values>(): CrossFieldRule<T>[] {
  const fix = "set WORKER_TLS_CERT and WORKER_TLS_KEY together (deno task certs:dev makes a pair), or neither";
  return [
    needs<T>("WORKER_TLS_CERT", ["WORKER_TLS_KEY"], fix),
    needs<T>("WORKER_TLS_KEY", ["WORKER_TLS_CERT"], fix),
    needs<T>("WORKER_TLS_CA", ["WORKER_TLS_CERT", "WORKER_TLS_KEY"], "mutual TLS needs the worker's own TLS: " + fix),
  ];
}

/** Which orchestrator worker-link TLS variables go together. */
export function orchestratorWorkerTlsRules<T extends Values>(): CrossFieldRule<T>[] {
  const pair = "set ORCHESTRATOR_WORKER_TLS_CERT and ORCHESTRATOR_WORKER_TLS_KEY together, or neither";
  return [
    needs<T>(
      "ORCHESTRATOR_WORKER_TLS_CERT",
      ["ORCHESTRATOR_WORKER_TLS_KEY", "ORCHESTRATOR_WORKER_TLS_CA"],
      pair +
        "; a client certificate is used only over TLS, so ORCHESTRATOR_WORKER_TLS_CA is needed too",
    ),
    needs<T>("ORCHESTRATOR_WORKER_TLS_KEY", ["ORCHESTRATOR_WORKER_TLS_CERT"], pair),
  ];
}
