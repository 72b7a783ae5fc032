/**
 * Starts a TTS worker: the tts.v1.TTSService and grpc.health.v1.Health on one gRPC server, the model manager with
 * its default and preloaded models, the idle-eviction timer, and the Redis registration. `shutdown()` drains it:
 * health goes NOT_SERVING, new sessions and streams get UNAVAILABLE, running streams finish or are cancelled when
 * the grace period ends, the worker leaves the registry, and the server closes.
 *
 * @module
 */
import { Server, type ServerCredentials, status } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { TTSServiceService } from "../../proto/gen/tts.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { type GpuMetricsMode, wantsGpuMetrics } from "../../shared/config/common.ts";
import { GpuSampler } from "../../shared/metrics/gpu.ts";
import { type MetricsServer, startMetricsServer } from "../../shared/metrics/server.ts";
import { WorkerRegistration } from "../../shared/registry/registration.ts";
import { audit } from "../../shared/log/audit.ts";
import type { WorkerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import { logHandshakeFailures, serverCredentials } from "../../shared/security/worker_tls.ts";
import type { WorkerLinkMode } from "../../shared/registry/worker_record.ts";
import { DEFAULT_WORKER_LIMITS, type WorkerLimits } from "./limits.ts";
import type { TtsAdapter } from "./adapter.ts";
import type { Clock } from "./clock.ts";
import { ModelManager } from "./model_manager.ts";
import { RpcError } from "./rpc_error.ts";
import { SessionTable } from "./session_table.ts";
import { createTtsService } from "./tts_service.ts";
import { WorkerCore } from "./worker_core.ts";
import { WorkerMetrics } from "./worker_metrics.ts";

const log = getLogger("worker", "runtime");

/** The service name registered on the health service next to the overall "" status. */
export const TTS_SERVICE_NAME = "tts.v1.TTSService";
/** Largest request message accepted; bigger ones get RESOURCE_EXHAUSTED from grpc-js itself. */
export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 256 * 1024;
/** Time given to the last statuses to leave before the server closes hard (see `closeServer`). */
const STATUS_FLUSH_MS = 50;

/** Everything {@linkcode startWorker} needs. */
export interface StartWorkerOptions {
  /** Name in the registry and in Capabilities. */
  name: string;
  /** Interface to bind, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string;
  /** Port to bind; 0 picks a free port (see {@linkcode RunningWorker.port}). */
  port: number;
  /** `host:port` others dial; default `<host>:<bound port>` (`127.0.0.1` for a wildcard host). */
  advertiseAddress?: string;
  adapter: TtsAdapter;
  /** Loaded (and pinned) before the worker reports SERVING; a failure makes startWorker reject. */
  defaultModel: string;
  /** Loaded at start after the default; a failure is logged and skipped. */
  preloadModelIds: string[];
  /** The configured model this worker does not serve and why (`defaultModel` is what it serves instead). */
  modelFallback?: { requested: string; reason: string };
  modelManager: {
    idleTtlMs: number;
    minResidencyMs: number;
    maxResident: number;
    maxParallelLoads: number;
    clock?: Clock;
  };
  maxSessions: number;
  /** Longest TextChunk.text accepted (UTF-16 code units). */
  maxTextChars: number;
  /** The other bounds on one client (defaults: {@linkcode DEFAULT_WORKER_LIMITS}). */
  limits?: Partial<Omit<WorkerLimits, "maxTextChars">>;
  /** The call credential; default none (any caller that reaches the port is served). */
  security?: WorkerLinkSecurity;
  /** How long running streams may take to finish after shutdown starts. */
  shutdownGraceMs: number;
  version: string;
  /** Redis registration; without it the worker is reachable only at a known address. */
  registry?: { redisUrl: string; heartbeatMs: number; ttlMs: number };
  /** Default {@linkcode DEFAULT_MAX_RECEIVE_MESSAGE_BYTES}. */
  maxReceiveMessageBytes?: number;
  /** How often idle models are checked for eviction; default a quarter of the TTL, between 250 ms and 30 s. */
  sweepIntervalMs?: number;
  /**
   * The Prometheus listener (`WORKER_METRICS_HOST`/`WORKER_METRICS_PORT`; port 0 = a free one); its address goes in
   * the registry record so Prometheus finds it. Without it the metrics are still kept (see `core.metrics`).
   */
  metrics?: { host: string; port: number; gpu?: GpuMetricsMode; cudaVisibleDevices?: string };
}

/** Options of {@linkcode RunningWorker.shutdown}. */
export interface ShutdownOptions {
  /**
   * The caller exits the process right after: the gRPC server is then not closed, so clients see the connection
   * end without an HTTP/2 GOAWAY (see `closeServer`). Default false (in-process use, tests).
   */
  processExiting?: boolean;
}

/** A started worker. */
export interface RunningWorker {
  /** The bound port. */
  readonly port: number;
  /** The advertised `host:port`. */
  readonly address: string;
  readonly name: string;
  /** Live state (sessions, models, status reports). */
  readonly core: WorkerCore;
  /** `http://host:port` of the metrics listener, when it has one. */
  readonly metricsUrl: string | null;
  /**
   * Drains and stops the worker (idempotent; later calls return the same promise). In-process, close the Deno
   * gRPC clients connected to it before the drain ends: the server close can crash them (see `closeServer`).
   */
  shutdown(reason: string, options?: ShutdownOptions): Promise<void>;
  /** Settles when the shutdown has completed. */
  readonly closed: Promise<void>;
}

function bindAddress(host: string, port: number): string {
  return `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

function defaultAdvertise(host: string, port: number): string {
  const wildcard = host === "0.0.0.0" || host === "::" || host === "[::]";
  return bindAddress(wildcard ? "127.0.0.1" : host, port);
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(new Error(`cannot listen on ${address}: ${error.message}`));
      else resolve(port);
    });
  });
}

/**
 * Closes the server without a graceful HTTP/2 GOAWAY. Under Deno 2.9 a grpc-js CLIENT that receives a GOAWAY
 * crashes in nghttp2 most of the time (assertion in find_stream_on_goaway_func, or a segfault; denoland/deno#36788),
 * which would take the orchestrator down whenever a worker stops. Measured here: `tryShutdown` (graceful GOAWAY)
 * crashed an in-process client in 7 of 10 runs, `forceShutdown` in 0 of 18, but a client in ANOTHER process still
 * crashed on `forceShutdown`; a process that exits without closing its server crashed none (0 of 24). So an exiting
 * process leaves its connections to the OS, and only an in-process shutdown closes the server (hard: the drain has
 * already finished or cancelled every stream).
 */
function closeServer(server: Server, processExiting: boolean): void {
  if (!processExiting) server.forceShutdown();
}

/** Ends the sessions whose lease ran out. */
async function expireSessions(core: WorkerCore): Promise<void> {
  const expired = core.sessions.takeExpired(core.limits.sessionLeaseMs);
  if (!expired.length) return;
  const reason = new RpcError(status.NOT_FOUND, "session lease expired (not renewed with RenewSessions)");
  await Promise.all(expired.map((session) => session.end(reason)));
  for (const session of expired) {
    audit({ action: "worker_session.expired", outcome: "ok", target: session.id, via: "grpc" });
  }
  log.info("ended {count} session(s) whose lease ran out ({lease_ms} ms without renewal)", {
    count: expired.length,
    lease_ms: core.limits.sessionLeaseMs,
  });
  core.onLoadChanged();
}

/** Starts a worker and resolves once it is SERVING (default model loaded, registered when a registry is set). */
export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const sessions = new SessionTable(options.maxSessions);
  // The metrics read the core's queue depth at scrape time; the core is built once the address is known.
  let coreRef: WorkerCore | null = null;
  const metrics = new WorkerMetrics({
    sessions,
    models: { status: () => models.status() },
    queueDepth: () => coreRef?.queueDepth() ?? 0,
  });
  const models = new ModelManager({
    adapter: options.adapter,
    ...options.modelManager,
    onLoaded: (modelId, loadMs) => metrics.modelLoad.observe(loadMs, { model: modelId }),
  });
  const health = new HealthImplementation({ "": "NOT_SERVING", [TTS_SERVICE_NAME]: "NOT_SERVING" });
  const server = new Server({
    "grpc.max_receive_message_length": options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
  });
  const tls = options.security?.serverTls;
  const port = await bind(server, bindAddress(options.host, options.port), serverCredentials(tls));
  if (tls) {
    logHandshakeFailures(
      server,
      (reason, count) => log.warn("refused {count} TLS connection(s): {reason}", { count, reason }),
    );
  }
  const address = options.advertiseAddress ?? defaultAdvertise(options.host, port);
  let metricsServer: MetricsServer | null = null;
  if (options.metrics) {
    try {
      metricsServer = await startMetricsServer({
        ...options.metrics,
        hostname: options.metrics.host,
        registry: metrics.registry,
      });
    } catch (error) {
      closeServer(server, false);
      throw error;
    }
  }
  const identity = {
    name: options.name,
    version: options.version,
    address,
    defaultModel: options.defaultModel,
    startedAt: Date.now(),
    tls: (tls ? (tls.ca ? "mtls" : "tls") : "off") as WorkerLinkMode,
    modelFallback: options.modelFallback && { ...options.modelFallback, served: options.defaultModel },
    // Others reach the listener on the host they dial for gRPC.
    metricsAddress: metricsServer ? `${address.slice(0, address.lastIndexOf(":"))}:${metricsServer.port}` : undefined,
  };
  const limits: WorkerLimits = { ...DEFAULT_WORKER_LIMITS, ...options.limits, maxTextChars: options.maxTextChars };
  const core = new WorkerCore(identity, options.adapter, models, sessions, limits, options.security);
  core.metrics = metrics;
  coreRef = core;
  if (options.metrics && wantsGpuMetrics(options.metrics.gpu ?? "auto", options.adapter.device)) {
    metrics.enableGpu(new GpuSampler({ visibleDevices: options.metrics?.cudaVisibleDevices }));
  }
  server.addService(TTSServiceService, createTtsService(core));
  health.addToServer(server);

  try {
    await core.refreshCatalogue();
    await models.ensureLoaded(options.defaultModel, { pin: true });
  } catch (error) {
    closeServer(server, false);
    metrics.close();
    await metricsServer?.close();
    await models.disposeAll();
    throw new Error(`worker ${options.name}: default model ${options.defaultModel} failed to load: ${error}`, {
      cause: error,
    });
  }
  for (const id of options.preloadModelIds.filter((id) => id !== options.defaultModel)) {
    await models.ensureLoaded(id).catch((error) =>
      log.warn("preloading {model_id} failed: {error}", { model_id: id, error })
    );
  }

  const sweepMs = options.sweepIntervalMs ??
    Math.min(30_000, Math.max(250, Math.floor(options.modelManager.idleTtlMs / 4)));
  const sweepTimer = setInterval(() => {
    models.sweep().catch((error) => log.warn("model eviction failed: {error}", { error }));
  }, sweepMs);
  // Sessions whose client stopped renewing them (it died, or lost track of them) give their slot back.
  const leaseTimer = setInterval(
    () => void expireSessions(core),
    Math.max(50, Math.min(5_000, Math.floor(limits.sessionLeaseMs / 4))),
  );
  // The gRPC server keeps the process alive; this timer need not.
  Deno.unrefTimer(leaseTimer);

  health.setStatus("", "SERVING");
  health.setStatus(TTS_SERVICE_NAME, "SERVING");
  const registration = options.registry
    ? new WorkerRegistration({
      ...options.registry,
      snapshot: () => core.record(),
      signingSecret: options.security?.rpcSecret,
    })
    : null;
  // Sessions and models changing are what routing looks at: publish them now rather than at the next heartbeat.
  if (registration) core.onLoadChanged = () => void registration.refreshNow();
  await registration?.start();
  log.info("worker {name} serving {adapter} on {address} (default model {model_id})", {
    name: options.name,
    adapter: options.adapter.type,
    address,
    model_id: options.defaultModel,
  });

  let closing: Promise<void> | null = null;
  let resolveClosed = () => {};
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);

  async function drainAndStop(reason: string, processExiting: boolean): Promise<void> {
    log.info("worker {name} shutting down ({reason}): draining {streams} stream(s)", {
      name: options.name,
      reason,
      streams: core.streams.size,
    });
    core.drain(reason);
    health.setStatus("", "NOT_SERVING");
    health.setStatus(TTS_SERVICE_NAME, "NOT_SERVING");
    const running = [...core.streams];
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<void>((resolve) => graceTimer = setTimeout(resolve, options.shutdownGraceMs));
    await Promise.race([Promise.all(running.map((s) => s.done)), graceOver]);
    clearTimeout(graceTimer);
    const late = [...core.streams];
    if (late.length) {
      log.warn("cancelling {count} stream(s) still running after the {grace_ms} ms grace period", {
        count: late.length,
        grace_ms: options.shutdownGraceMs,
      });
      const reasonError = new RpcError(status.UNAVAILABLE, `worker "${options.name}" shut down (${reason})`);
      for (const stream of late) stream.cancel(reasonError);
      await Promise.all(late.map((s) => s.done));
    }
    const ended = new RpcError(status.UNAVAILABLE, `worker "${options.name}" shut down`);
    await Promise.all(sessions.all().map((s) => (sessions.remove(s.id), s.end(ended))));
    await registration?.stop();
    clearInterval(sweepTimer);
    clearInterval(leaseTimer);
    // Statuses handed to HTTP/2 a moment ago must reach the socket before the hard close.
    await new Promise((resolve) => setTimeout(resolve, STATUS_FLUSH_MS));
    closeServer(server, processExiting);
    await models.disposeAll();
    metrics.close();
    await metricsServer?.close();
    log.info("worker {name} stopped", { name: options.name });
    resolveClosed();
  }

  return {
    port,
    address,
    name: options.name,
    core,
    metricsUrl: metricsServer?.url ?? null,
    closed,
    shutdown(reason: string, options: ShutdownOptions = {}): Promise<void> {
      closing ??= drainAndStop(reason, options.processExiting ?? false);
      return closing;
    },
  };
}
