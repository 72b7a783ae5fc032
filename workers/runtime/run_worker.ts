/**
 * The process entry shared by every worker's `main.ts`: validated config, logging, the worker itself, and signal
 * handling (SIGTERM/SIGINT drain the worker, deregister it and exit 0).
 *
 * @module
 */
import { type Env } from "../../shared/config/load.ts";
import { loadWorkerConfigOrExit, type WorkerConfig } from "../../shared/config/worker.ts";
import { effectiveLogLevel } from "../../shared/config/common.ts";
import { unknownVariableWarnings } from "../../shared/config/unknown_variables.ts";
import { workerLinkSecurity } from "../../shared/security/worker_rpc.ts";
import { loadWorkerServerTls } from "../../shared/security/worker_tls.ts";
import { getLogger } from "../../shared/log/mod.ts";
import { setupLogging } from "../../shared/log/setup.ts";
import { type AdapterType, MODEL_ID_PREFIX, type TtsAdapter } from "./adapter.ts";
import { chooseModel } from "./model_choice.ts";
import { startWorker } from "./worker.ts";

/** Version reported in Capabilities and the registry. */
export const WORKER_VERSION = "0.1.0";

/** Builds an adapter from the validated config. */
export type AdapterFactory = (config: WorkerConfig) => TtsAdapter | Promise<TtsAdapter>;

/** What a worker's `main.ts` passes to {@linkcode runWorkerMain}. */
export interface WorkerMainOptions {
  /** The adapter family this entry point serves; `ADAPTER_TYPE` is set to it. */
  adapterType: AdapterType;
  /** Used when `DEFAULT_MODEL` is unset or names another family's model. */
  defaultModel: string;
  /**
   * Adapter builders by family: this entry point's family (absent when this build has none) and the `mock` one, for
   * the fallback when the family's catalogue has nothing to serve (see `model_choice.ts`).
   */
  adapters: Partial<Record<AdapterType, AdapterFactory>> & { mock: AdapterFactory };
  /** How to install a missing model, named in the fallback warning. */
  fetchHint?: (modelId: string) => string;
  /** Defaults to the process environment. */
  env?: Env;
  /** Command-line arguments, default `Deno.args`; `--exit-with-parent` is the only one (see {@linkcode watchParent}). */
  args?: string[];
}

/** The parent process, read when this module loads: it may die while the worker is still starting. */
const PARENT_AT_START = Deno.ppid;

/** How often an orphaned worker notices that its parent is gone. */
const PARENT_CHECK_MS = 500;

/**
 * Calls `onGone` once when this process's parent `parent` (its `Deno.ppid` at startup) has exited and the process
 * got re-parented. `deno task` runs the worker as a child
 * and cannot pass on a SIGKILL it receives itself, so without this a `kill -9` of the task would leave the worker
 * running and registered. Returns the function that stops watching.
 */
export function watchParent(parent: number, onGone: (parentPid: number) => void): () => void {
  const timer = setInterval(() => {
    if (Deno.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, PARENT_CHECK_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/** Pins the environment to this entry point's adapter family; returns the notes to log about what it changed. */
export function pinAdapterEnv(env: Env, adapterType: AdapterType, defaultModel: string): { env: Env; notes: string[] } {
  const pinned: Env = { ...env };
  const notes: string[] = [];
  const prefix = MODEL_ID_PREFIX[adapterType];
  if (pinned.ADAPTER_TYPE && pinned.ADAPTER_TYPE !== adapterType) {
    notes.push(`ADAPTER_TYPE=${pinned.ADAPTER_TYPE} ignored: this entry point serves ${adapterType}`);
  }
  pinned.ADAPTER_TYPE = adapterType;
  if (!pinned.DEFAULT_MODEL?.startsWith(prefix)) {
    if (pinned.DEFAULT_MODEL) notes.push(`DEFAULT_MODEL=${pinned.DEFAULT_MODEL} ignored: using ${defaultModel}`);
    pinned.DEFAULT_MODEL = defaultModel;
  }
  const preload = (pinned.PRELOAD_MODEL_IDS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const kept = preload.filter((id) => id.startsWith(prefix));
  if (kept.length !== preload.length) {
    notes.push(`PRELOAD_MODEL_IDS: ignored ${preload.filter((id) => !kept.includes(id)).join(", ")} (not ${prefix}*)`);
    pinned.PRELOAD_MODEL_IDS = kept.join(",");
  }
  return { env: pinned, notes };
}

/** Runs a worker process until SIGTERM/SIGINT, then drains it and exits 0 (1 when it cannot start). */
export async function runWorkerMain(options: WorkerMainOptions): Promise<void> {
  const { env, notes } = pinAdapterEnv(options.env ?? Deno.env.toObject(), options.adapterType, options.defaultModel);
  const config = loadWorkerConfigOrExit(env);
  setupLogging({
    level: effectiveLogLevel(config),
    format: config.LOG_FORMAT,
    service: "worker",
    worker: config.WORKER_NAME,
  });
  const log = getLogger("worker", "main");
  for (const note of notes) log.warn(note);
  for (const warning of unknownVariableWarnings(env)) log.warn(warning);
  if (config.ALLOW_INSECURE_DEV) {
    log.warn("ALLOW_INSECURE_DEV=true: security checks are warnings only. Never run a deployment like this.");
  }

  let worker;
  try {
    const factory = options.adapters[config.ADAPTER_TYPE];
    const choice = await chooseModel(
      {
        adapterType: config.ADAPTER_TYPE,
        defaultModel: config.DEFAULT_MODEL,
        preload: config.PRELOAD_MODEL_IDS,
        strict: config.STRICT_CONFIG,
        fetchHint: options.fetchHint,
      },
      factory ? await factory(config) : null,
      () => options.adapters.mock(config),
    );
    if (choice.fallback) {
      log.warn("DEFAULT_MODEL={requested}: {reason}", { requested: config.DEFAULT_MODEL, reason: choice.fallback });
    }
    log.info("serving {model_id} ({adapter} adapter) by default", {
      model_id: choice.defaultModel,
      adapter: choice.adapter.type,
    });
    worker = await startWorker({
      name: config.WORKER_NAME,
      host: config.WORKER_GRPC_HOST,
      port: config.WORKER_GRPC_PORT,
      advertiseAddress: config.WORKER_ADVERTISE_ADDRESS,
      adapter: choice.adapter,
      defaultModel: choice.defaultModel,
      preloadModelIds: choice.preload,
      modelFallback: choice.fallback ? { requested: config.DEFAULT_MODEL, reason: choice.fallback } : undefined,
      modelManager: {
        idleTtlMs: config.MODEL_IDLE_TTL_MS,
        minResidencyMs: config.MODEL_MIN_RESIDENCY_MS,
        maxResident: config.MAX_RESIDENT_MODELS,
        maxParallelLoads: config.MAX_PARALLEL_LOADS,
      },
      metrics: config.WORKER_METRICS_PORT === "off" ? undefined : {
        host: config.WORKER_METRICS_HOST,
        port: config.WORKER_METRICS_PORT,
        gpu: config.GPU_METRICS,
        cudaVisibleDevices: config.CUDA_VISIBLE_DEVICES || undefined,
      },
      maxSessions: config.WORKER_MAX_SESSIONS,
      maxTextChars: config.WORKER_MAX_TEXT_CHARS,
      limits: {
        maxStreamChars: config.WORKER_MAX_STREAM_CHARS,
        maxQueuedChars: config.WORKER_MAX_QUEUED_CHARS,
        firstChunkTimeoutMs: config.WORKER_FIRST_CHUNK_TIMEOUT_MS,
        sessionLeaseMs: config.WORKER_SESSION_LEASE_MS,
      },
      security: { ...workerLinkSecurity(config), serverTls: loadWorkerServerTls(config) },
      shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
      version: WORKER_VERSION,
      registry: {
        redisUrl: config.REDIS_URL,
        heartbeatMs: config.WORKER_HEARTBEAT_MS,
        ttlMs: config.WORKER_TTL_MS,
      },
    });
  } catch (error) {
    log.error("worker failed to start: {error}", { error: error instanceof Error ? error.message : String(error) });
    Deno.exit(1);
  }

  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) {
      log.warn("{signal} again: exiting without waiting for the drain", { signal });
      Deno.exit(1);
    }
    signalled = true;
    worker.shutdown(signal, { processExiting: true }).then(
      () => Deno.exit(0),
      (error) => {
        log.error("shutdown failed: {error}", { error });
        Deno.exit(1);
      },
    );
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, () => onSignal(signal));
  if ((options.args ?? Deno.args).includes("--exit-with-parent")) {
    watchParent(PARENT_AT_START, (parent) => {
      log.warn("parent process {pid} is gone (was `deno task` killed?): shutting down", { pid: parent });
      onSignal("parent exited");
    });
  }
  await worker.closed;
}
