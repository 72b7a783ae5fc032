/**
 * The dev stack's services, declared in one place: the command each one runs, its environment, its health probe and
 * what it waits for. Values come from the environment (`.env` is loaded first) with local-development defaults;
 * `plan.ts` decides which of these a given stack runs and what falls back when a piece is missing.
 *
 * Configuration is read once at start: after editing `.env`, stop the stack and start it again.
 *
 * @module
 */
import {
  formatProblemReport,
  loadConfig,
  loadDeployConfig,
  orchestratorFields,
  workerFields,
} from "../../shared/config/mod.ts";
import { loadWorkerClientTls, type WorkerClientTls } from "../../shared/security/worker_tls.ts";
import type { ServiceSpec } from "./supervisor.ts";

/** Ports, hosts and keys the dev services use. */
export interface DevSettings {
  redis: { url: string; host: string; port: number; password?: string };
  livekit: { port: number; rtcTcpPort: number; rtcUdpPort: number; apiKey: string; apiSecret: string };
  orchestrator: { host: string; wsPort: number; healthPort: number };
  worker: { host: string; port: number };
  /** The orchestrator's worker-link TLS (`ORCHESTRATOR_WORKER_TLS_*`): the worker probe dials with it too. */
  workerTls?: WorkerClientTls;
  /** Host name and ports Caddy serves (`PUBLIC_HOST`, `CADDY_WEB_PORT`, `CADDY_LIVEKIT_PORT`). */
  caddy: { publicHost: string; webPort: number; livekitPort: number };
}

/** LiveKit's dev key pair when `LIVEKIT_API_KEY`/`LIVEKIT_API_SECRET` are unset (never use it in production). */
export const DEV_LIVEKIT_KEY = "devkey";
/** At least 32 characters: LiveKit logs an error for shorter secrets. */
export const DEV_LIVEKIT_SECRET = "devsecret-local-development-only-0123456789";

/**
 * The variables the runner reads, parsed by the services' own zod fields (same defaults, same messages). Only the
 * hosts differ on purpose: a local stack binds loopback unless `ORCHESTRATOR_HOST`/`WORKER_GRPC_HOST` say otherwise.
 */
const devFields = orchestratorFields.pick({
  REDIS_URL: true,
  ORCHESTRATOR_WS_PORT: true,
  ORCHESTRATOR_HEALTH_PORT: true,
  LIVEKIT_URL: true,
  LIVEKIT_API_KEY: true,
  LIVEKIT_API_SECRET: true,
}).extend(workerFields.pick({ WORKER_GRPC_PORT: true }).shape);

/**
 * Reads the settings from `env`, with the defaults of a local stack. Throws naming the variable on a bad value (every
 * bad deployment variable at once, as the services report theirs).
 */
export function readDevSettings(env: Record<string, string | undefined>): DevSettings {
  const deploy = loadDeployConfig(env);
  const dev = loadConfig(devFields, env, { service: "dev stack" });
  const problems = [...(deploy.ok ? [] : deploy.problems), ...(dev.ok ? [] : dev.problems)];
  if (!deploy.ok || !dev.ok) throw new Error(formatProblemReport("dev stack", problems));
  const c = dev.config;
  const parsed = new URL(c.REDIS_URL);
  const livekitPort = c.LIVEKIT_URL ? Number(new URL(c.LIVEKIT_URL).port || 7880) : 7880;
  return {
    redis: {
      url: c.REDIS_URL,
      host: parsed.hostname || "127.0.0.1",
      port: Number(parsed.port || 6379),
      password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    },
    livekit: {
      port: livekitPort,
      rtcTcpPort: livekitPort + 1,
      rtcUdpPort: livekitPort + 2,
      apiKey: c.LIVEKIT_API_KEY || DEV_LIVEKIT_KEY,
      apiSecret: c.LIVEKIT_API_SECRET || DEV_LIVEKIT_SECRET,
    },
    orchestrator: {
      host: env.ORCHESTRATOR_HOST?.trim() || "127.0.0.1",
      wsPort: c.ORCHESTRATOR_WS_PORT,
      healthPort: c.ORCHESTRATOR_HEALTH_PORT,
    },
    worker: { host: env.WORKER_GRPC_HOST?.trim() || "127.0.0.1", port: c.WORKER_GRPC_PORT },
    workerTls: loadWorkerClientTls({
      ORCHESTRATOR_WORKER_TLS_CA: env.ORCHESTRATOR_WORKER_TLS_CA?.trim() || undefined,
      ORCHESTRATOR_WORKER_TLS_CERT: env.ORCHESTRATOR_WORKER_TLS_CERT?.trim() || undefined,
      ORCHESTRATOR_WORKER_TLS_KEY: env.ORCHESTRATOR_WORKER_TLS_KEY?.trim() || undefined,
    }),
    caddy: {
      publicHost: deploy.config.PUBLIC_HOST,
      webPort: deploy.config.CADDY_WEB_PORT,
      livekitPort: deploy.config.CADDY_LIVEKIT_PORT,
    },
  };
}

/** A host a local probe can dial: wildcard binds are reached over loopback. */
function dialHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "[::]" ? "127.0.0.1" : host;
}

/** The deno task that runs a worker of each adapter family. */
export const WORKER_TASKS = { piper: "run-tts-piper", cosyvoice2: "run-tts-cosyvoice", mock: "run-tts-mock" } as const;

/** Every service the dev stacks know, built from the settings. `deno` is the Deno binary that runs the tasks. */
export function serviceCatalog(
  s: DevSettings,
  tools: { deno: string; livekitServer: string; caddyfile: string },
): Record<"redis" | "livekit" | "caddy" | "orchestrator", ServiceSpec> & { worker(task: string): ServiceSpec } {
  return {
    redis: {
      name: "redis",
      command: [
        "redis-server",
        ...["--port", String(s.redis.port), "--bind", s.redis.host, "--save", "", "--appendonly", "no"],
        ...(s.redis.password ? ["--requirepass", s.redis.password] : []),
      ],
      health: { kind: "redis", host: s.redis.host, port: s.redis.port, password: s.redis.password },
      startTimeoutMs: 20_000,
    },
    livekit: {
      name: "livekit",
      command: [tools.livekitServer, "--bind", "127.0.0.1", "--node-ip", "127.0.0.1"],
      // Keys and ports go through the environment so the secret does not show in `ps`.
      env: {
        LIVEKIT_KEYS: `${s.livekit.apiKey}: ${s.livekit.apiSecret}`,
        LIVEKIT_CONFIG: [
          `port: ${s.livekit.port}`,
          "rtc:",
          `  tcp_port: ${s.livekit.rtcTcpPort}`,
          `  udp_port: ${s.livekit.rtcUdpPort}`,
          "  use_external_ip: false",
          "logging:",
          "  level: info",
        ].join("\n"),
      },
      health: { kind: "http", url: `http://127.0.0.1:${s.livekit.port}/` },
      startTimeoutMs: 30_000,
      stopTimeoutMs: 3_000,
    },
    caddy: {
      name: "caddy",
      command: ["caddy", "run", "--config", tools.caddyfile, "--adapter", "caddyfile"],
      env: {
        PUBLIC_HOST: s.caddy.publicHost,
        CADDY_WEB_PORT: String(s.caddy.webPort),
        CADDY_LIVEKIT_PORT: String(s.caddy.livekitPort),
        ORCHESTRATOR_UPSTREAM: `${dialHost(s.orchestrator.host)}:${s.orchestrator.wsPort}`,
        LIVEKIT_UPSTREAM: `127.0.0.1:${s.livekit.port}`,
      },
      health: { kind: "tcp", host: "127.0.0.1", port: s.caddy.webPort },
      startTimeoutMs: 30_000,
    },
    worker: (task: string) => ({
      name: "worker",
      command: [tools.deno, "task", task],
      env: { WORKER_GRPC_HOST: s.worker.host, WORKER_GRPC_PORT: String(s.worker.port), REDIS_URL: s.redis.url },
      health: {
        kind: "grpc",
        address: `${dialHost(s.worker.host)}:${s.worker.port}`,
        ...(s.workerTls ? { tls: s.workerTls } : {}),
      },
      startTimeoutMs: 180_000,
    }),
    orchestrator: {
      name: "orchestrator",
      command: [tools.deno, "task", "run-orch"],
      env: {
        ORCHESTRATOR_HOST: s.orchestrator.host,
        ORCHESTRATOR_WS_PORT: String(s.orchestrator.wsPort),
        ORCHESTRATOR_HEALTH_PORT: String(s.orchestrator.healthPort),
        REDIS_URL: s.redis.url,
        TTS_WORKER_ADDRESS: `${dialHost(s.worker.host)}:${s.worker.port}`,
      },
      health: { kind: "http", url: `http://${dialHost(s.orchestrator.host)}:${s.orchestrator.healthPort}/health` },
      startTimeoutMs: 240_000,
    },
  };
}
