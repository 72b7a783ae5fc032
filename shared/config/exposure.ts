/**
 * Secure by default: a service that listens beyond loopback, or talks to Redis beyond loopback, must be locked. The
 * checks here refuse to start (an error naming the fix) when it is not: no API keys, short keys, a LiveKit secret
 * that is short or a well-known development value, an empty Redis password, a worker without a call credential. `ALLOW_INSECURE_DEV=true` turns every such error into a loud warning, for a trusted lab network only.
 *
 * @module
 */
import type { ConfigCheck } from "./load.ts";
import type { ConfigProblem } from "./problem.ts";

/** Shortest accepted entry of `ORCHESTRATOR_API_KEYS` on an exposed orchestrator. */
export const MIN_API_KEY_CHARS = 16;
/** Shortest accepted LiveKit API secret and `WORKER_RPC_SECRET`. */
export const MIN_SHARED_SECRET_CHARS = 32;

/**
 * Secrets that are public: the dev runner's LiveKit pair, LiveKit's own `--dev` pair, and the seed project's
 * example. Anyone can mint tokens with them.
 */
export const WELL_KNOWN_SECRETS: ReadonlySet<string> = new Set([
  "devsecret-local-development-only-0123456789",
  "secret",
  "devsecret1234567890abcdefghijklmn",
]);

/** True for a host that only this machine can reach (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h.startsWith("::ffff:127.");
}

/** The password of a Redis URL (`redis://:pw@host` or `redis://user:pw@host`), empty when none. */
export function redisPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return "";
  }
}

/** Variables every exposure check reads. */
interface CommonExposure {
  ALLOW_INSECURE_DEV: boolean;
  REDIS_URL: string;
}

/** Downgrades errors to warnings under `ALLOW_INSECURE_DEV=true`, saying so in each message. */
function enforce(problems: ConfigProblem[], allowInsecure: boolean): ConfigProblem[] {
  if (!allowInsecure) return problems;
  return problems.map((p) =>
    p.severity === "error"
      ? { ...p, severity: "warning", problem: `${p.problem} (allowed only because ALLOW_INSECURE_DEV=true)` }
      : p
  );
}

function redisProblems(config: CommonExposure): ConfigProblem[] {
  let host = "";
  try {
    host = new URL(config.REDIS_URL).hostname;
  } catch {
    return [];
  }
  if (isLoopbackHost(host) || redisPassword(config.REDIS_URL)) return [];
  return [{
    variable: "REDIS_URL",
    value: config.REDIS_URL,
    problem: `points at ${host}, not loopback, without a password: anyone who reaches Redis could register a worker`,
    fix: "start Redis with requirepass and put the password in the URL: redis://:<password>@host:6379 " +
      "(compose: set REDIS_PASSWORD and COMPOSE_REDIS_URL)",
    severity: "error",
  }];
}

function sharedSecretProblem(variable: string, value: string | undefined, what: string): ConfigProblem[] {
  if (value === undefined || value === "") return [];
  if (WELL_KNOWN_SECRETS.has(value)) {
    return [{
      variable,
      value,
      problem: `is a well-known development value: anyone can ${what}`,
      fix: "generate a secret with `openssl rand -hex 32`",
      severity: "error",
    }];
  }
  if (value.length < MIN_SHARED_SECRET_CHARS) {
    return [{
      variable,
      value,
      problem: `is ${value.length} characters; at least ${MIN_SHARED_SECRET_CHARS} are needed`,
      fix: "generate a secret with `openssl rand -hex 32`",
      severity: "error",
    }];
  }
  return [];
}

/** What the orchestrator's exposure check reads. */
export interface OrchestratorExposure extends CommonExposure {
  ORCHESTRATOR_HOST: string;
  ORCHESTRATOR_API_KEYS: string[];
  LIVEKIT_API_SECRET?: string;
  WORKER_RPC_SECRET?: string;
}

/** Refuses an exposed orchestrator that anyone could use, or whose secrets are weak (see the module doc). */
export function checkOrchestratorExposure<T extends OrchestratorExposure>(): ConfigCheck<T> {
  return (config) => {
    const problems: ConfigProblem[] = [...redisProblems(config)];
    problems.push(...sharedSecretProblem("WORKER_RPC_SECRET", config.WORKER_RPC_SECRET, "call the TTS workers"));
    const exposed = !isLoopbackHost(config.ORCHESTRATOR_HOST);
    if (exposed) {
      if (config.ORCHESTRATOR_API_KEYS.length === 0) {
        problems.push({
          variable: "ORCHESTRATOR_API_KEYS",
          value: "",
          problem: `is empty while ORCHESTRATOR_HOST=${config.ORCHESTRATOR_HOST} listens beyond loopback: anyone ` +
            "could open sessions",
          fix: "set ORCHESTRATOR_API_KEYS to keys of 16+ characters (openssl rand -hex 24), or bind " +
            "ORCHESTRATOR_HOST=127.0.0.1 behind a proxy",
          severity: "error",
        });
      }
      const short = config.ORCHESTRATOR_API_KEYS.filter((k) => k.length < MIN_API_KEY_CHARS);
      if (short.length) {
        problems.push({
          variable: "ORCHESTRATOR_API_KEYS",
          value: "",
          problem: `has ${short.length} key(s) shorter than ${MIN_API_KEY_CHARS} characters`,
          fix: "use random keys, e.g. openssl rand -hex 24",
          severity: "error",
        });
      }
      problems.push(...sharedSecretProblem("LIVEKIT_API_SECRET", config.LIVEKIT_API_SECRET, "mint LiveKit tokens"));
    } else if (config.ORCHESTRATOR_API_KEYS.length === 0) {
      problems.push({
        variable: "ORCHESTRATOR_API_KEYS",
        value: "",
        problem: "is empty: development mode, any client on this machine may connect without a key",
        fix: "set ORCHESTRATOR_API_KEYS to a comma-separated list of keys before exposing the orchestrator",
        severity: "warning",
      });
    }
    return { problems: enforce(problems, config.ALLOW_INSECURE_DEV) };
  };
}

/** What the worker's exposure check reads. */
export interface WorkerExposure extends CommonExposure {
  WORKER_GRPC_HOST: string;
  WORKER_RPC_SECRET?: string;
}

/** Refuses an exposed worker that anyone could drive (no call credential). */
export function checkWorkerExposure<T extends WorkerExposure>(): ConfigCheck<T> {
  return (config) => {
    const problems: ConfigProblem[] = [...redisProblems(config)];
    problems.push(...sharedSecretProblem("WORKER_RPC_SECRET", config.WORKER_RPC_SECRET, "call this worker"));
    if (!isLoopbackHost(config.WORKER_GRPC_HOST) && !config.WORKER_RPC_SECRET) {
      problems.push({
        variable: "WORKER_RPC_SECRET",
        value: undefined,
        problem: `is not set while WORKER_GRPC_HOST=${config.WORKER_GRPC_HOST} listens beyond loopback: anyone ` +
          "who reaches the port could start sessions or unload models",
        fix: "set the same WORKER_RPC_SECRET (openssl rand -hex 32) on the worker and the orchestrator, or bind " +
          "WORKER_GRPC_HOST=127.0.0.1",
        severity: "error",
      });
    }
    return { problems: enforce(problems, config.ALLOW_INSECURE_DEV) };
  };
}
