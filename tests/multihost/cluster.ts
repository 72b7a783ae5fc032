/**
 * The multi-host layout of issue 14 on {@linkcode TestNetwork} hosts, each service a real process started on its
 * host the way an operator would (same tasks, same variables):
 * - host A: Redis (on the control network), LiveKit node 1, orchestrator 1, Caddy;
 * - host B: LiveKit node 2, orchestrator 2;
 * - hosts C and D: Piper workers; host E: a mock worker.
 * Services on different hosts use fixed, documented ports (each namespace has its own port space, as real hosts do),
 * and advertise their host's data address (`WORKER_ADVERTISE_ADDRESS`, LiveKit's node IP).
 *
 * @module
 */
import { findLivekitServer } from "../../scripts/setup/livekit.ts";
import { WorkerDirectory } from "../../shared/registry/directory.ts";
import type { WorkerRecord } from "../../shared/registry/worker_record.ts";
import { taskCommand } from "../../harness/task_process.ts";
import { HostProcess, waitUntil } from "./host_process.ts";
import { TestNetwork } from "./netns.ts";

/** The hosts of the layout. */
export const HOSTS = ["a", "b", "c", "d", "e"] as const;
/** Ports every host uses (see docs/MULTI_HOST.md). */
export const PORTS = {
  redis: 6379,
  livekit: 7880,
  livekitTcp: 7881,
  livekitUdp: 7882,
  worker: 7002,
  orchestratorWs: 8080,
  orchestratorHealth: 8081,
  caddy: 8443,
  caddyLivekit: 8444,
} as const;
/** LiveKit keys of the test cluster (both nodes share them, as they must). */
export const LIVEKIT_KEY = "multihost";
export const LIVEKIT_SECRET = "multihost-test-secret-0123456789abcdef0123";

/** The worker kinds of the layout. */
export type WorkerKind = "piper" | "mock";

/** A worker process and the name it registers under. */
export interface ClusterWorker {
  host: string;
  name: string;
  address: string;
  process: HostProcess;
}

/** Redis's password: it listens on a network address, so it needs one (the services refuse otherwise). */
export const REDIS_PASSWORD = "multihost-redis-password-0123456789";
/** The shared secret of the worker gRPC link (workers listen beyond loopback). */
export const WORKER_RPC_SECRET = "multihost-worker-rpc-secret-0123456789abcdef";

/** The API key clients of the test orchestrators use. */
export const ORCHESTRATOR_KEY = "multihost-client-key";

/** An orchestrator process and where to reach it. */
export interface ClusterOrchestrator {
  host: string;
  process: HostProcess;
  /** `ws://<host>:8080`: client sessions. */
  wsUrl: string;
  /** `http://<host>:8081`: health and metrics. */
  healthUrl: string;
}

/** Caddy on the edge host. */
export interface ClusterEdge {
  host: string;
  process: HostProcess;
  /** `http://<host>:8443`: the orchestrators behind Caddy. */
  url: string;
  /** `ws://<host>:8443/ws`: WebSocket sessions through Caddy. */
  wsUrl: string;
}

/** A running layout; every start method waits until the service is ready. */
export class Cluster {
  readonly processes: HostProcess[] = [];
  redis: HostProcess | null = null;
  #directory: WorkerDirectory | null = null;

  private constructor(readonly net: TestNetwork) {}

  /** Builds the hosts (nothing runs yet). */
  static async create(hosts: readonly string[] = HOSTS): Promise<Cluster> {
    return new Cluster(await TestNetwork.create(hosts));
  }

  /** `redis://` URL of the Redis on host A's control address. */
  get redisUrl(): string {
    return `redis://:${REDIS_PASSWORD}@${this.net.address("a", "control")}:${PORTS.redis}`;
  }

  /** Starts (or restarts) Redis on host A, bound to its control address only. */
  async startRedis(): Promise<HostProcess> {
    const dir = await Deno.makeTempDir({ prefix: "multihost-redis-" });
    const redis = this.#track(HostProcess.spawn(this.net, "a", "redis", [
      "redis-server",
      "--port",
      String(PORTS.redis),
      "--bind",
      this.net.address("a", "control"),
      "--requirepass",
      REDIS_PASSWORD,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ]));
    this.redis = redis;
    await waitUntil("Redis on host A", () => redisPing(this.net.address("a", "control")), {
      timeoutMs: 10_000,
      context: () => redis.tail(),
    });
    return redis;
  }

  /** A directory on this cluster's Redis, read from the test process (started on first use). */
  async directory(): Promise<WorkerDirectory> {
    if (!this.#directory) {
      this.#directory = new WorkerDirectory({ redisUrl: this.redisUrl, refreshMs: 100, outageGraceMs: 0 });
      await this.#directory.start();
    }
    return this.#directory;
  }

  /** Starts a LiveKit node on `host`, joined to the others through Redis, advertising the host's data address. */
  async startLiveKit(host: string): Promise<HostProcess> {
    const binary = await findLivekitServer();
    if (!binary) throw new Error("no livekit-server binary: run `deno task setup`");
    const address = this.net.address(host);
    const config = [
      `port: ${PORTS.livekit}`,
      "rtc:",
      `  tcp_port: ${PORTS.livekitTcp}`,
      `  udp_port: ${PORTS.livekitUdp}`,
      "  use_external_ip: false",
      // Offer only the data network's address to clients (the control network carries Redis, not media).
      "  interfaces:",
      "    includes: [data0]",
      "redis:",
      `  address: ${this.net.address("a", "control")}:${PORTS.redis}`,
      `  password: ${REDIS_PASSWORD}`,
      "room:",
      "  auto_create: true",
      "  empty_timeout: 60",
      "logging:",
      "  level: info",
    ].join("\n");
    const node = this.#track(HostProcess.spawn(this.net, host, "livekit", [
      binary,
      "--bind",
      address,
      "--node-ip",
      address,
    ], { LIVEKIT_KEYS: `${LIVEKIT_KEY}: ${LIVEKIT_SECRET}`, LIVEKIT_CONFIG: config }));
    await waitUntil(`LiveKit node on host ${host}`, async () => {
      if (node.exited) throw new Error(`livekit-server on ${host} exited:\n${node.tail()}`);
      return await fetch(`http://${address}:${PORTS.livekit}/`).then((r) => (r.body?.cancel(), r.ok), () => false);
    }, { timeoutMs: 30_000, context: () => node.tail() });
    return node;
  }

  /** `ws://` URL of the LiveKit node on `host`. */
  livekitUrl(host: string): string {
    return `ws://${this.net.address(host)}:${PORTS.livekit}`;
  }

  /**
   * Starts a TTS worker on `host` (`deno task run-tts-piper` or `run-tts-mock`) that binds every address, advertises
   * its data address and registers in Redis; resolves once the test's directory lists it.
   */
  async startWorker(host: string, kind: WorkerKind, env: Record<string, string> = {}): Promise<ClusterWorker> {
    const name = env.WORKER_NAME ?? `tts-${kind}-host-${host}`;
    const address = `${this.net.address(host)}:${PORTS.worker}`;
    const process = this.#track(HostProcess.spawn(this.net, host, `worker ${name}`, taskCommand(`run-tts-${kind}`), {
      WORKER_NAME: name,
      WORKER_GRPC_HOST: "0.0.0.0",
      WORKER_GRPC_PORT: String(PORTS.worker),
      WORKER_ADVERTISE_ADDRESS: address,
      REDIS_URL: this.redisUrl,
      WORKER_RPC_SECRET,
      LOG_FORMAT: "text",
      ...(kind === "piper"
        ? { DEFAULT_MODEL: "piper-en-us-joe-medium", PRELOAD_MODEL_IDS: "piper-en-us-joe-medium" }
        : {}),
      ...env,
    }));
    const directory = await this.directory();
    await waitUntil(`worker ${name} in the registry`, () => {
      if (process.exited) throw new Error(`worker ${name} exited:\n${process.tail()}`);
      return directory.get(name)?.address === address;
    }, { timeoutMs: 90_000, context: () => process.tail() });
    return { host, name, address, process };
  }

  /**
   * Starts an orchestrator on `host` (`deno task run-orch`): every address, the registry only (no static worker),
   * real Silero VAD and Whisper, the echo responder; resolves once `/health` answers 200.
   */
  async startOrchestrator(host: string, env: Record<string, string> = {}): Promise<ClusterOrchestrator> {
    const address = this.net.address(host);
    const process = this.#track(HostProcess.spawn(this.net, host, "orchestrator", taskCommand("run-orch"), {
      ORCHESTRATOR_HOST: "0.0.0.0",
      ORCHESTRATOR_WS_PORT: String(PORTS.orchestratorWs),
      ORCHESTRATOR_HEALTH_PORT: String(PORTS.orchestratorHealth),
      ORCHESTRATOR_API_KEYS: ORCHESTRATOR_KEY,
      REDIS_URL: this.redisUrl,
      WORKER_RPC_SECRET,
      TTS_WORKER_ADDRESS: "",
      DEFAULT_MODEL: "piper-en-us-joe-medium",
      ASR_ENGINE: "whisper",
      ASR_DEVICE: "cpu",
      TTS_KEEPALIVE_MS: "500",
      LOG_FORMAT: "text",
      ...env,
    }));
    const healthUrl = `http://${address}:${PORTS.orchestratorHealth}`;
    await waitUntil(`orchestrator on host ${host} to be ready`, async () => {
      if (process.exited) throw new Error(`orchestrator on ${host} exited:\n${process.tail()}`);
      return await fetch(`${healthUrl}/health`).then((r) => (r.body?.cancel(), r.status === 200), () => false);
    }, { timeoutMs: 120_000, everyMs: 250, context: () => process.tail() });
    return { host, process, wsUrl: `ws://${address}:${PORTS.orchestratorWs}`, healthUrl };
  }

  /**
   * Starts Caddy on `host` with `configs/multihost/Caddyfile` in front of the given orchestrators and LiveKit nodes,
   * on plain HTTP (the edge's TLS is not what these tests are about); resolves once it proxies a request.
   */
  async startCaddy(host: string, orchestrators: string[], livekitHosts: string[] = []): Promise<ClusterEdge> {
    const address = this.net.address(host);
    const dir = await Deno.makeTempDir({ prefix: "multihost-caddy-" });
    const process = this.#track(HostProcess.spawn(this.net, host, "caddy", [
      "caddy",
      "run",
      "--config",
      "configs/multihost/Caddyfile",
      "--adapter",
      "caddyfile",
    ], {
      EDGE_SITE: `http://${address}:${PORTS.caddy}`,
      EDGE_LIVEKIT_SITE: `http://${address}:${PORTS.caddyLivekit}`,
      ORCHESTRATOR_UPSTREAMS: orchestrators.map((h) => `${this.net.address(h)}:${PORTS.orchestratorWs}`).join(" "),
      LIVEKIT_UPSTREAMS: (livekitHosts.length ? livekitHosts : [host])
        .map((h) => `${this.net.address(h)}:${PORTS.livekit}`).join(" "),
      ORCHESTRATOR_HEALTH_PORT: String(PORTS.orchestratorHealth),
      XDG_DATA_HOME: `${dir}/data`,
      XDG_CONFIG_HOME: `${dir}/config`,
      HOME: dir,
    }));
    const url = `http://${address}:${PORTS.caddy}`;
    await waitUntil("Caddy to proxy to an orchestrator", async () => {
      if (process.exited) throw new Error(`caddy exited:\n${process.tail()}`);
      return await fetch(`${url}/`).then((r) => (r.body?.cancel(), r.status < 500), () => false);
    }, { timeoutMs: 20_000, context: () => process.tail() });
    return { host, process, url, wsUrl: `ws://${address}:${PORTS.caddy}/ws` };
  }

  /** The registry records the test process sees now. */
  async workers(): Promise<WorkerRecord[]> {
    return (await this.directory()).list();
  }

  /** Stops every process (Redis last) and removes the hosts. */
  async destroy(): Promise<void> {
    await this.#directory?.stop().catch(() => {});
    const others = this.processes.filter((p) => p !== this.redis);
    await Promise.all(others.map((p) => p.stop(2000)));
    await this.redis?.stop(1000);
    await this.net.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  /** Last lines of every process, for failure messages. */
  tails(lines = 15): string {
    return this.processes.map((p) => p.tail(lines)).join("\n");
  }

  #track(process: HostProcess): HostProcess {
    this.processes.push(process);
    return process;
  }
}

/** True when a Redis at `host` answers PING. */
export async function redisPing(host: string, port: number = PORTS.redis): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: host, port });
    try {
      await conn.write(new TextEncoder().encode(`AUTH ${REDIS_PASSWORD}\r\nPING\r\n`));
      const buf = new Uint8Array(64);
      const n = await Promise.race([conn.read(buf), new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
      return n !== null && new TextDecoder().decode(buf.subarray(0, n)).includes("PONG");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/** Sessions open on an orchestrator now, over every transport (from its `/metrics`); NaN when it does not answer. */
export async function sessionsOpen(orchestrator: ClusterOrchestrator): Promise<number> {
  const text = await fetch(`${orchestrator.healthUrl}/metrics`).then((r) => r.text(), () => "");
  const lines = [...text.matchAll(/^\S*sessions_active(?:\{[^}]*\})? (\d+)/gm)];
  return lines.length ? lines.reduce((sum, m) => sum + Number(m[1]), 0) : NaN;
}
